using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Shadow.Bench.Common;
using Shadow.Grains.Runtime;
using Shadow.Grains.Runtime.MicroVm;

// bench/microvm/run.sh: cold boot and snapshot resume to the first tool call, RSS per VM, 10 VMs started at once.
// Usage: Shadow.Bench.MicroVm --data DIR --cache DIR [--sidecar PATH] [--runs N] [--parallel N] [--cold N]
var settings = ParseArgs(args);
var runs = int.Parse(settings.GetValueOrDefault("runs", "10"), CultureInfo.InvariantCulture);
var parallel = int.Parse(settings.GetValueOrDefault("parallel", "10"), CultureInfo.InvariantCulture);
var coldRuns = int.Parse(settings.GetValueOrDefault("cold", "3"), CultureInfo.InvariantCulture);
var report = new StringBuilder();
using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(120) };

// Resumed from the saved state (the default), no warm pool: every provision pays the resume.
await using (var snapshots = Build(settings, useSnapshots: true))
{
    var prepareWatch = Stopwatch.StartNew();
    var preparation = await snapshots.Runtime.PrepareAsync();
    Console.WriteLine($"== prepared in {prepareWatch.Elapsed.TotalSeconds:0.0} s: accelerator {preparation.Accelerator} ({preparation.AcceleratorReason})");
    Console.WriteLine($"   state {preparation.StatePath} ({new FileInfo(preparation.StatePath!).Length / 1048576.0:0} MiB)");

    List<double> resume = [];
    List<double> firstCall = [];
    List<double> rss = [];
    for (var i = 0; i < runs; i++)
    {
        var (total, first, handle) = await ProvisionAndCallAsync(snapshots.Runtime, http, $"bench-{i}");
        resume.Add(total);
        firstCall.Add(first);
        // RSS after a tool call: the guest pages the sidecar touched are resident in the VMM.
        rss.Add((snapshots.Runtime.ResidentBytesOf(handle.InstanceId) ?? 0) / 1048576.0);
        await snapshots.Runtime.DeleteAsync(handle, deleteStorage: true);
    }

    var resumeStats = Stats.FromMs(resume);
    Console.WriteLine($"== resume from the saved state -> first tool call (list_dir), {runs} runs: p50 {resumeStats.P50Ms:0} ms, max {resumeStats.MaxMs:0} ms (the first call alone: p50 {Stats.FromMs(firstCall).P50Ms:0} ms)");

    // N at once.
    var wall = Stopwatch.StartNew();
    var batch = await Task.WhenAll(Enumerable.Range(0, parallel).Select(i => ProvisionAndCallAsync(snapshots.Runtime, http, $"par-{i}")));
    var wallMs = wall.Elapsed.TotalMilliseconds;
    var batchRss = batch.Select(b => (snapshots.Runtime.ResidentBytesOf(b.Handle.InstanceId) ?? 0) / 1048576.0).ToList();
    var batchStats = Stats.FromMs(batch.Select(b => b.TotalMs));
    Console.WriteLine($"== {parallel} VMs at once: all answering after {wallMs:0} ms; per VM p50 {batchStats.P50Ms:0} ms, max {batchStats.MaxMs:0} ms; RSS total {batchRss.Sum():0} MiB");
    await Task.WhenAll(batch.Select(b => snapshots.Runtime.DeleteAsync(b.Handle, deleteStorage: true)));

    var rssStats = Stats.FromMs(rss);
    report.AppendLine();
    Table.Render(report, ["metric", "result", "target", "verdict"],
    [
        ["resume from saved state -> first tool call, p50", $"{Table.F(resumeStats.P50Ms, 0)} ms", "< 500 ms (TCG)", Table.Verdict(resumeStats.P50Ms < 500)],
        ["resume -> first tool call, max", $"{Table.F(resumeStats.MaxMs, 0)} ms", "-", Table.Verdict(null)],
        ["RSS per VM after a tool call, p50 (max)", $"{Table.F(rssStats.P50Ms, 0)} MiB ({Table.F(rssStats.MaxMs, 0)})", "-", Table.Verdict(null)],
        [$"{parallel} VMs at once -> all answered", $"{Table.F(wallMs, 0)} ms", "-", Table.Verdict(null)],
        [$"{parallel} VMs at once, RSS total", $"{Table.F(batchRss.Sum(), 0)} MiB", "-", Table.Verdict(null)],
    ]);
}

// Cold boots: no saved state.
if (coldRuns > 0)
{
    await using var cold = Build(settings, useSnapshots: false);
    await cold.Runtime.PrepareAsync();
    List<double> boots = [];
    for (var i = 0; i < coldRuns; i++)
    {
        var (total, _, handle) = await ProvisionAndCallAsync(cold.Runtime, http, $"cold-{i}");
        boots.Add(total);
        await cold.Runtime.DeleteAsync(handle, deleteStorage: true);
    }

    var coldStats = Stats.FromMs(boots);
    Console.WriteLine($"== cold boot -> first tool call, {coldRuns} runs: p50 {coldStats.P50Ms:0} ms, max {coldStats.MaxMs:0} ms");
    Table.Render(report, ["metric", "result", "target", "verdict"],
        [["cold boot -> first tool call, p50 (max)", $"{Table.F(coldStats.P50Ms, 0)} ms ({Table.F(coldStats.MaxMs, 0)})", "-", Table.Verdict(null)]]);
}

Console.WriteLine(report.ToString());
return 0;

// Provision, then list_dir through the sidecar until it answers 200 (it answers 503 until its token arrived).
static async Task<(double TotalMs, double FirstCallMs, WorkspaceHandle Handle)> ProvisionAndCallAsync(MicroVmRuntime runtime, HttpClient http, string taskId)
{
    var watch = Stopwatch.StartNew();
    var handle = await runtime.ProvisionAsync(new WorkspaceProvisionRequest(taskId));
    var provisioned = watch.Elapsed.TotalMilliseconds;
    while (true)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(handle.BaseAddress, "files/list?path=."));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", handle.Token);
        try
        {
            using var response = await http.SendAsync(request);
            if (response.IsSuccessStatusCode)
            {
                break;
            }

            if ((int)response.StatusCode != 503)
            {
                throw new BenchException($"list_dir answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            }
        }
        catch (HttpRequestException)
        {
            // Not answering yet.
        }

        if (watch.Elapsed > TimeSpan.FromMinutes(2))
        {
            throw new BenchException($"{taskId}: no answer within 2 minutes");
        }

        await Task.Delay(5);
    }

    return (watch.Elapsed.TotalMilliseconds, watch.Elapsed.TotalMilliseconds - provisioned, handle);
}

static RuntimeHost Build(Dictionary<string, string> settings, bool useSnapshots)
{
    var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
    {
        ["Shadow:DataDir"] = settings["data"],
        ["Shadow:Runtime:MicroVm:CacheDir"] = settings["cache"],
        ["Shadow:Runtime:MicroVm:SidecarPath"] = settings.GetValueOrDefault("sidecar"),
        ["Shadow:Runtime:MicroVm:Accelerator"] = settings.GetValueOrDefault("accelerator", "Auto"),
        ["Shadow:Runtime:MicroVm:MemoryMiB"] = settings.GetValueOrDefault("memory", "512"),
        ["Shadow:Runtime:MicroVm:WarmPoolSize"] = "0",
        ["Shadow:Runtime:MicroVm:BootTimeout"] = "00:10:00",
        ["Shadow:Runtime:MicroVm:UseSnapshots"] = useSnapshots ? "true" : "false",
    }).Build();
    var services = new ServiceCollection();
    services.AddSingleton<IConfiguration>(config);
    services.AddLogging(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Information).AddFilter("Shadow", LogLevel.Information));
    services.AddMicroVmWorkspaceRuntime();
    var provider = services.BuildServiceProvider();
    return new RuntimeHost(provider, provider.GetRequiredService<MicroVmRuntime>());
}

static Dictionary<string, string> ParseArgs(string[] args)
{
    var result = new Dictionary<string, string>(StringComparer.Ordinal);
    for (var i = 0; i + 1 < args.Length; i += 2)
    {
        result[args[i].TrimStart('-')] = args[i + 1];
    }

    foreach (var required in new[] { "data", "cache" })
    {
        if (!result.ContainsKey(required))
        {
            throw new ArgumentException($"--{required} DIR is required");
        }
    }

    return result;
}

internal sealed class RuntimeHost(ServiceProvider provider, MicroVmRuntime runtime) : IAsyncDisposable
{
    public MicroVmRuntime Runtime { get; } = runtime;

    public async ValueTask DisposeAsync()
    {
        await Runtime.StopAsync(CancellationToken.None);
        await provider.DisposeAsync();
    }
}
