using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Shadow.Bench.Common;
using Shadow.Grains.Runtime;
using Shadow.Grains.Runtime.Kubernetes;
using Shadow.Kubernetes.Simulation;

// Pod create -> sidecar ready through the SIMULATED cluster (the real KubernetesClient, real HTTP, a real sidecar process per pod),
// split into where the time goes, plus the watch-to-ready latency (kubelet sets Ready -> ProvisionAsync answers).
var count = 20;
var concurrency = 4;
var probeMs = 5;
string? sidecar = null;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--count": count = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--concurrency": concurrency = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--probe-ms": probeMs = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--sidecar": sidecar = args[++i]; break;
        default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
    }
}

var root = Path.Combine(Path.GetTempPath(), "shadow-bench-k8s-" + Guid.NewGuid().ToString("N")[..8]);
try
{
    await using var cluster = await KubernetesSimulation.StartAsync(root, programPath: sidecar, probePeriod: TimeSpan.FromMilliseconds(probeMs));
    using var runtime = new KubernetesPodRuntime(Options.Create(new KubernetesRuntimeOptions
    {
        KubeConfigPath = cluster.KubeconfigPath,
        Namespace = cluster.Namespace,
        Image = "shadow-sidecar:bench",
        SidecarPort = cluster.SidecarPort,
        ReadyTimeout = TimeSpan.FromMinutes(1),
    }), TimeProvider.System, NullLogger<KubernetesPodRuntime>.Instance);

    // Warm-up: JIT of the client and server paths, the NetworkPolicy created once.
    for (var w = 0; w < 3; w++)
    {
        var h = await runtime.ProvisionAsync(new WorkspaceProvisionRequest($"warm{w}"));
        await runtime.DeleteAsync(h, deleteStorage: true);
    }

    List<Sample> sequential = [];
    for (var n = 0; n < count; n++)
    {
        sequential.Add(await MeasureAsync(runtime, cluster, $"seq{n}"));
    }

    using var gate = new SemaphoreSlim(concurrency);
    var parallelStart = Stopwatch.GetTimestamp();
    var parallel = await Task.WhenAll(Enumerable.Range(0, count).Select(async n =>
    {
        await gate.WaitAsync();
        try
        {
            return await MeasureAsync(runtime, cluster, $"par{n}");
        }
        finally
        {
            gate.Release();
        }
    }));
    var parallelSeconds = Stopwatch.GetElapsedTime(parallelStart).TotalSeconds;

    var report = new StringBuilder();
    report.AppendLine(CultureInfo.InvariantCulture, $"# Kubernetes runtime on the simulated cluster: {count} pods sequential, {count} at concurrency {concurrency}; readiness probe every {probeMs} ms; sidecar {(sidecar ?? "JIT build (dotnet Shadow.Sidecar.dll)")}");
    report.AppendLine();
    Rows(report, "sequential", sequential);
    report.AppendLine();
    Rows(report, $"concurrency {concurrency}", [.. parallel]);
    report.AppendLine();
    report.AppendLine(CultureInfo.InvariantCulture, $"concurrent throughput: {Table.F(count / parallelSeconds, 1)} pods/s ready");
    report.AppendLine(CultureInfo.InvariantCulture, $"API requests: {string.Join(", ", cluster.Api.Requests.OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => $"{r.Key} {r.Value}"))}");
    Console.Write(report.ToString());
    return 0;
}
finally
{
    try
    {
        Directory.Delete(root, recursive: true);
    }
    catch (IOException)
    {
    }
}

static void Rows(StringBuilder report, string title, IReadOnlyList<Sample> samples)
{
    var stages = new (string Name, Func<Sample, double> Of)[]
    {
        ("create -> ready (ProvisionAsync)", s => s.TotalMs),
        ("  create + secret -> process started (API + simulated scheduling)", s => s.ToStartMs),
        ("  process started -> Ready set (sidecar start + probe)", s => s.StartToReadyMs),
        ("  Ready set -> ProvisionAsync answers (watch-to-ready)", s => s.WatchToReadyMs),
        ("delete (DeleteAsync)", s => s.DeleteMs),
    };
    Table.Render(report, [$"{title}: stage", "p50 ms", "p90 ms", "max ms"], stages.Select(st =>
    {
        var stats = Stats.FromMs(samples.Select(st.Of));
        return (IReadOnlyList<string>)[st.Name, Table.F(stats.P50Ms, 2), Table.F(stats.P90Ms, 2), Table.F(stats.MaxMs, 2)];
    }));
}

static async Task<Sample> MeasureAsync(KubernetesPodRuntime runtime, KubernetesSimulation cluster, string task)
{
    var t0 = Stopwatch.GetTimestamp();
    var handle = await runtime.ProvisionAsync(new WorkspaceProvisionRequest(task));
    var t1 = Stopwatch.GetTimestamp();
    var started = cluster.Kubelet.StartedAt[handle.InstanceId];
    var ready = cluster.Kubelet.ReadyAt[handle.InstanceId];
    var d0 = Stopwatch.GetTimestamp();
    await runtime.DeleteAsync(handle, deleteStorage: true);
    var d1 = Stopwatch.GetTimestamp();
    static double Ms(long from, long to) => (to - from) * 1000.0 / Stopwatch.Frequency;
    return new Sample(Ms(t0, t1), Ms(t0, started), Ms(started, ready), Ms(ready, t1), Ms(d0, d1));
}

internal sealed record Sample(double TotalMs, double ToStartMs, double StartToReadyMs, double WatchToReadyMs, double DeleteMs);
