using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Shadow.Grains.Sidecar;

/// <summary>Registers the sidecar client: options, validation, clock and <see cref="SidecarClientFactory"/>.</summary>
public static class SidecarClientServiceCollectionExtensions
{
    /// <summary>
    /// Binds <see cref="SidecarClientOptions"/> (<c>Shadow:Sidecar:Client</c>) and <see cref="SidecarChaosOptions"/>
    /// (<c>Shadow:Runtime:Chaos</c>), validated on start with messages that name the setting, and registers
    /// <see cref="TimeProvider.System"/> (unless one is registered) and the singleton <see cref="SidecarClientFactory"/>.
    /// </summary>
    /// <param name="services">The container.</param>
    /// <param name="configuration">The configuration root to bind from; null to use the <see cref="IConfiguration"/> in the container.</param>
    public static IServiceCollection AddSidecarClient(this IServiceCollection services, IConfiguration? configuration = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var client = services.AddOptions<SidecarClientOptions>();
        var chaos = services.AddOptions<SidecarChaosOptions>();
        if (configuration is null)
        {
            client.BindConfiguration(SidecarClientOptions.SectionName);
            chaos.BindConfiguration(SidecarChaosOptions.SectionName);
        }
        else
        {
            client.Bind(configuration.GetSection(SidecarClientOptions.SectionName));
            chaos.Bind(configuration.GetSection(SidecarChaosOptions.SectionName));
        }

        client.ValidateDataAnnotations().ValidateOnStart();
        chaos.ValidateDataAnnotations().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SidecarClientOptions>, SidecarClientOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SidecarChaosOptions>, SidecarChaosOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new SidecarClientFactory(
            sp.GetRequiredService<IOptions<SidecarClientOptions>>(),
            sp.GetRequiredService<IOptionsMonitor<SidecarChaosOptions>>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<ILoggerFactory>()));
        return services;
    }
}

/// <summary>Every rule of <see cref="SidecarClientOptions"/>, including the ones across settings.</summary>
internal sealed class SidecarClientOptionsValidator : IValidateOptions<SidecarClientOptions>
{
    public ValidateOptionsResult Validate(string? name, SidecarClientOptions options)
    {
        var errors = options.Validate().ToList();
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

/// <summary>Every rule of <see cref="SidecarChaosOptions"/>, including the ones across settings.</summary>
internal sealed class SidecarChaosOptionsValidator : IValidateOptions<SidecarChaosOptions>
{
    public ValidateOptionsResult Validate(string? name, SidecarChaosOptions options)
    {
        var errors = options.Validate().ToList();
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
