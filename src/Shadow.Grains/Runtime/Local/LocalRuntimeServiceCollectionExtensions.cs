using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Shadow.Grains.Hosting;

namespace Shadow.Grains.Runtime.Local;

/// <summary>Registers the local workspace runtime.</summary>
public static class LocalRuntimeServiceCollectionExtensions
{
    /// <summary>
    /// Binds <see cref="LocalRuntimeOptions"/> (<c>Shadow:Runtime:Local</c>) and, unless already bound, <see cref="ShadowOptions"/>
    /// (<c>Shadow</c>) from the container's <c>IConfiguration</c>, validated on start with messages that name the setting;
    /// registers <see cref="LocalProcessRuntime"/> as the singleton <see cref="IWorkspaceRuntime"/> and as a hosted service
    /// (leftover cleanup and warm pool on start, every sidecar ended on stop), and <see cref="TimeProvider.System"/> unless a
    /// clock is registered. Calling it again changes nothing.
    /// </summary>
    public static IServiceCollection AddLocalWorkspaceRuntime(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.Any(d => d.ServiceType == typeof(LocalProcessRuntime)))
        {
            return services;
        }

        services.AddOptions<LocalRuntimeOptions>()
            .BindConfiguration(LocalRuntimeOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LocalRuntimeOptions>, LocalRuntimeOptionsValidator>());

        // AddShadowGrains binds Shadow:* already; bind it here only when nothing did, so the settings are not bound twice.
        if (!services.Any(d => d.ServiceType == typeof(IOptionsChangeTokenSource<ShadowOptions>)))
        {
            services.AddOptions<ShadowOptions>()
                .BindConfiguration(ShadowOptions.SectionName)
                .ValidateDataAnnotations()
                .ValidateOnStart();
        }

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<LocalProcessRuntime>();
        services.AddSingleton<IWorkspaceRuntime>(sp => sp.GetRequiredService<LocalProcessRuntime>());
        services.AddHostedService(sp => sp.GetRequiredService<LocalProcessRuntime>());
        return services;
    }
}
