using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Shadow.Grains.Runtime.Kubernetes;
using Shadow.Kubernetes.Simulation;
using Shadow.Testing;

namespace Shadow.Grains.Tests.Runtime.Kubernetes;

/// <summary>A <see cref="KubernetesPodRuntime"/> on the real KubernetesClient, pointed at a fresh SIMULATED cluster.</summary>
internal sealed class KubernetesRuntimeHarness : IAsyncDisposable
{
    private KubernetesRuntimeHarness(TempDirectory root, KubernetesSimulation simulation, KubernetesPodRuntime runtime, KubernetesRuntimeOptions options)
    {
        Root = root;
        Simulation = simulation;
        Runtime = runtime;
        Options = options;
    }

    public TempDirectory Root { get; }

    public KubernetesSimulation Simulation { get; }

    public KubernetesPodRuntime Runtime { get; }

    public KubernetesRuntimeOptions Options { get; }

    public string Namespace => Simulation.Namespace;

    public static async Task<KubernetesRuntimeHarness> StartAsync(Action<KubernetesRuntimeOptions>? configure = null, int eventLogCapacity = 1000)
    {
        var root = new TempDirectory("shadow-k8s");
        var simulation = await KubernetesSimulation.StartAsync(root.Combine("cluster"), probePeriod: TimeSpan.FromMilliseconds(50), eventLogCapacity: eventLogCapacity);
        var options = new KubernetesRuntimeOptions
        {
            KubeConfigPath = simulation.KubeconfigPath,
            Namespace = simulation.Namespace,
            Image = "shadow-sidecar:simulated",
            SidecarPort = simulation.SidecarPort,
            ReadyTimeout = TimeSpan.FromSeconds(60),
        };
        configure?.Invoke(options);
        var runtime = new KubernetesPodRuntime(Microsoft.Extensions.Options.Options.Create(options), TimeProvider.System, NullLogger<KubernetesPodRuntime>.Instance);
        return new KubernetesRuntimeHarness(root, simulation, runtime, options);
    }

    public int Requests(string key) => Simulation.Api.Requests.TryGetValue(key, out var n) ? n : 0;

    public async ValueTask DisposeAsync()
    {
        Runtime.Dispose();
        await Simulation.DisposeAsync();
        Root.Dispose();
    }
}
