using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Shadow.Grains.Hosting;

namespace Shadow.Grains.Runtime.MicroVm;

/// <summary>Registers the microVM workspace runtime.</summary>
public static class MicroVmRuntimeServiceCollectionExtensions
{
    /// <summary>
    /// Binds <see cref="MicroVmRuntimeOptions"/> (<c>Shadow:Runtime:MicroVm</c>) and, unless already bound, <see cref="ShadowOptions"/>,
    /// validated on start with messages that name the setting; registers <see cref="MicroVmRuntime"/> (QEMU as the VMM) as the
    /// singleton <see cref="IWorkspaceRuntime"/> and as a hosted service (leftover VMs ended and the warm pool filled on start,
    /// every VM ended on stop). Calling it again changes nothing.
    /// </summary>
    public static IServiceCollection AddMicroVmWorkspaceRuntime(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.Any(d => d.ServiceType == typeof(MicroVmRuntime)))
        {
            return services;
        }

        services.AddOptions<MicroVmRuntimeOptions>()
            .BindConfiguration(MicroVmRuntimeOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MicroVmRuntimeOptions>, MicroVmRuntimeOptionsValidator>());
        if (!services.Any(d => d.ServiceType == typeof(IOptionsChangeTokenSource<ShadowOptions>)))
        {
            services.AddOptions<ShadowOptions>()
                .BindConfiguration(ShadowOptions.SectionName)
                .ValidateDataAnnotations()
                .ValidateOnStart();
        }

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<IVmm, QemuVmm>();
        services.AddSingleton<GuestImageBuilder>();
        services.AddSingleton(sp => new MicroVmRuntime(
            sp.GetRequiredService<IOptions<MicroVmRuntimeOptions>>(),
            sp.GetRequiredService<IOptions<ShadowOptions>>(),
            sp.GetRequiredService<IVmm>(),
            sp.GetRequiredService<GuestImageBuilder>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<MicroVmRuntime>>()));
        services.AddSingleton<IWorkspaceRuntime>(sp => sp.GetRequiredService<MicroVmRuntime>());
        services.AddHostedService(sp => sp.GetRequiredService<MicroVmRuntime>());
        return services;
    }
}
