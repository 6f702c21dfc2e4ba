using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Shadow.Testing;

namespace Shadow.Kubernetes.Simulation;

/// <summary>
/// A SIMULATED Kubernetes cluster for tests and benchmarks: <see cref="SimulatedApiServer"/> (real HTTP on loopback) over one
/// <see cref="ObjectStore"/>, and a <see cref="SimulatedKubelet"/> that really runs each pod's sidecar. Shadow's runtime talks to
/// it with the real KubernetesClient through <see cref="KubeconfigPath"/>, unchanged.
/// </summary>
public sealed class KubernetesSimulation : IAsyncDisposable
{
    private KubernetesSimulation(string root, string @namespace, ObjectStore store, SimulatedApiServer api, SimulatedKubelet kubelet, int sidecarPort, string kubeconfig)
    {
        Root = root;
        Namespace = @namespace;
        Store = store;
        Api = api;
        Kubelet = kubelet;
        SidecarPort = sidecarPort;
        KubeconfigPath = kubeconfig;
    }

    public string Root { get; }

    public string Namespace { get; }

    public ObjectStore Store { get; }

    public SimulatedApiServer Api { get; }

    public SimulatedKubelet Kubelet { get; }

    /// <summary>The sidecar port the runtime is configured with (free on loopback; every pod has its own 127.x.y.z address).</summary>
    public int SidecarPort { get; }

    public string KubeconfigPath { get; }

    /// <summary>Starts the simulation under <paramref name="root"/> (a folder of the caller's).</summary>
    /// <param name="root">Where the kubeconfig and the pods' emptyDir folders go.</param>
    /// <param name="namespace">The workspace namespace.</param>
    /// <param name="programPath">What every container runs; default: the sidecar build that Shadow.Testing builds.</param>
    /// <param name="probePeriod">A faster readiness probe period than the pods ask for (see <see cref="KubeletOptions.ProbePeriodOverride"/>).</param>
    /// <param name="eventLogCapacity">How many events watches can resume from (0: every watch from an older version gets 410 Expired).</param>
    public static async Task<KubernetesSimulation> StartAsync(string root, string @namespace = "shadow-workspaces", string? programPath = null,
        TimeSpan? probePeriod = null, int eventLogCapacity = 1000, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(root);
        var store = new ObjectStore(eventLogCapacity);
        var api = await SimulatedApiServer.StartAsync(store, cancellationToken);
        var kubelet = new SimulatedKubelet(store, new KubeletOptions
        {
            RootDirectory = Path.Combine(root, "kubelet"),
            ProgramPath = programPath ?? SidecarProcess.SidecarDll,
            ProbePeriodOverride = probePeriod,
        });
        var kubeconfig = api.WriteKubeconfig(Path.Combine(root, "kubeconfig"), @namespace);
        return new KubernetesSimulation(root, @namespace, store, api, kubelet, FreePort(), kubeconfig);
    }

    /// <summary>The <c>Shadow:*</c> settings that run a silo's workspaces on this simulation.</summary>
    public Dictionary<string, string?> ShadowSettings() => new()
    {
        ["Shadow:Runtime:Kind"] = "Kubernetes",
        ["Shadow:Runtime:Kubernetes:KubeConfigPath"] = KubeconfigPath,
        ["Shadow:Runtime:Kubernetes:Namespace"] = Namespace,
        ["Shadow:Runtime:Kubernetes:Image"] = "shadow-sidecar:simulated",
        ["Shadow:Runtime:Kubernetes:SidecarPort"] = SidecarPort.ToString(CultureInfo.InvariantCulture),
        ["Shadow:Runtime:Kubernetes:ReadyTimeout"] = "00:01:00",
    };

    /// <summary>The workspace pods now in the store.</summary>
    public IReadOnlyList<string> PodNames() =>
        [.. Store.List("pods", Namespace, _ => true).Items.Select(p => (string)p["metadata"]!["name"]!)];

    public async ValueTask DisposeAsync()
    {
        await Kubelet.DisposeAsync();
        await Api.DisposeAsync();
    }

    private static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
