using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Runtime;

namespace Shadow.Grains.Runtime.Reconcile;

/// <summary>Registers the orphan reconciler (for every runtime kind).</summary>
public static class OrphanReconcilerServiceCollectionExtensions
{
    /// <summary>Binds <see cref="OrphanReconcilerOptions"/> (<c>Shadow:Runtime:Reconcile</c>, validated on start) and registers the reminder on silo start.</summary>
    public static IServiceCollection AddOrphanReconciler(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.Any(d => d.ImplementationType == typeof(OrphanReconcilerStartup)))
        {
            return services;
        }

        services.AddOptions<OrphanReconcilerOptions>().BindConfiguration(OrphanReconcilerOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<OrphanReconcilerStartup>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<OrphanReconcilerStartup>());
        return services;
    }
}
