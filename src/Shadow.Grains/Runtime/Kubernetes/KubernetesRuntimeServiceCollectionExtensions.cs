using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Shadow.Grains.Runtime.Kubernetes;

/// <summary>Registers the Kubernetes workspace runtime.</summary>
public static class KubernetesRuntimeServiceCollectionExtensions
{
    /// <summary>
    /// Binds <see cref="KubernetesRuntimeOptions"/> (<c>Shadow:Runtime:Kubernetes</c>) from the container's configuration, validated on
    /// start with messages that name the setting, and registers <see cref="KubernetesPodRuntime"/> as the <see cref="IWorkspaceRuntime"/>.
    /// </summary>
    public static IServiceCollection AddKubernetesWorkspaceRuntime(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.Any(d => d.ServiceType == typeof(KubernetesPodRuntime)))
        {
            return services;
        }

        services.AddOptions<KubernetesRuntimeOptions>().BindConfiguration(KubernetesRuntimeOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<KubernetesRuntimeOptions>, KubernetesRuntimeOptionsValidator>());
        // Real time, not the grains' clock: API retries and watch back-off wait on a real server (a test's fake clock would stall them).
        services.AddSingleton(sp => new KubernetesPodRuntime(
            sp.GetRequiredService<IOptions<KubernetesRuntimeOptions>>(), TimeProvider.System, sp.GetRequiredService<ILogger<KubernetesPodRuntime>>()));
        services.AddSingleton<IWorkspaceRuntime>(sp => sp.GetRequiredService<KubernetesPodRuntime>());
        return services;
    }
}
