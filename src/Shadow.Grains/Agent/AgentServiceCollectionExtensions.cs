using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Shadow.Grains.Agent.Tools;

namespace Shadow.Grains.Agent;

/// <summary>Registers the agent's provider groundwork: options and <see cref="ChatClientFactory"/>.</summary>
public static class AgentServiceCollectionExtensions
{
    /// <summary>
    /// Binds <see cref="AgentOptions"/> from <c>Shadow:Agent</c> (the key falls back to the environment, see
    /// <see cref="AgentOptions"/>), validates them on start with messages that name the setting, and registers the
    /// singleton <see cref="ChatClientFactory"/>.
    /// </summary>
    public static IServiceCollection AddShadowAgent(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<AgentOptions>()
            .Bind(configuration.GetSection(AgentOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<AgentOptions>>(new ConfigureAgentOptions()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AgentOptions>, AgentOptionsValidator>());
        services.AddOptions<AgentToolboxOptions>()
            .Bind(configuration.GetSection(AgentOptions.SectionName + ":Tools"))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton<ChatClientFactory>();
        return services;
    }
}
