using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Shadow.Bench.Gateway;

if (args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine(BenchOptions.Usage);
    return 0;
}

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (ArgumentException e)
{
    await Console.Error.WriteLineAsync(e.Message);
    await Console.Error.WriteLineAsync(BenchOptions.Usage);
    return 2;
}

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

const double WarmTargetMs = 50;
const double ColdTargetMs = 400;
var startedAt = TimeProvider.System.GetUtcNow();
var findings = new Findings();
var temp = Directory.CreateTempSubdirectory("shadow-gateway-bench-");
var repoUrl = options.Repo;
var outPath = Path.GetFullPath(options.Out);
Directory.CreateDirectory(Path.GetDirectoryName(outPath)!);

// Runs one gateway for a group of scenarios; a harness failure is recorded and the next group still runs.
async Task WithGatewayAsync(string label, int warmPool, Func<GatewayProcess, Task> body, string? sidecarPath = null)
{
    Console.WriteLine($"-- gateway '{label}'");
    GatewayProcess? gateway = null;
    try
    {
        gateway = await GatewayProcess.StartAsync(label, options.GatewayDll, sidecarPath ?? options.SidecarPath, warmPool, temp.FullName, cancel.Token);
        await body(gateway);
        if (gateway.HasExited)
        {
            throw new BenchException($"The gateway ({label}) died during the run:\n{gateway.Tail}");
        }
    }
    catch (Exception e) when (e is BenchException or HttpRequestException or IOException or JsonException or KeyNotFoundException or InvalidOperationException
        || (e is TaskCanceledException && !cancel.IsCancellationRequested))
    {
        var message = $"{label}: {e.GetType().Name}: {e.Message}";
        findings.Errors.Add(message);
        Console.WriteLine($"   FAILED {message}");
        if (gateway is not null)
        {
            Console.WriteLine($"   gateway log tail:\n{gateway.Tail}");
        }
    }
    finally
    {
        if (gateway is not null)
        {
            await gateway.DisposeAsync();
            File.Copy(Path.Combine(temp.FullName, $"gateway-{label}.log"), Path.Combine(Path.GetDirectoryName(outPath)!, $"gateway-{label}.log"), overwrite: true);
        }
    }

    // No sidecar may outlive its gateway (give the SIGTERM'd children a moment to go).
    var sw = Stopwatch.StartNew();
    List<int> left;
    while ((left = Procs.FindByExecutable(options.SidecarPath)).Count > 0 && sw.Elapsed < TimeSpan.FromSeconds(10))
    {
        await Task.Delay(200);
    }

    if (left.Count > 0)
    {
        var message = $"{label}: {left.Count} sidecar process(es) still running 10 s after the gateway stopped (pids {string.Join(",", left)}); killed by the bench";
        findings.Errors.Add(message);
        Console.WriteLine($"   BUG? {message}");
        foreach (var pid in left)
        {
            try
            {
                using var p = Process.GetProcessById(pid);
                p.Kill();
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // Already gone.
            }
        }
    }
}

if (options.Has("cold"))
{
    await WithGatewayAsync("cold", 0, async gateway =>
    {
        var kept = await CreateBench.RunAsync(gateway, "cold", repoUrl, options.Runs, 0, ColdTargetMs, findings, cancel.Token);
        using var api = new ApiClient(gateway.BaseAddress, gateway.ApiKey);
        await api.PostJsonAsync($"api/tasks/{kept}/archive", "{}", cancel.Token);
        await Task.Delay(TimeSpan.FromSeconds(1), cancel.Token);
        findings.Detail($"cold: sidecars running after every task was archived (WarmPoolSize=0): {Procs.FindByExecutable(options.SidecarPath).Count}");
    });
}

if (new[] { "warm", "read", "terminal", "replay" }.Any(options.Has))
{
    var pool = Math.Max(1, options.WarmPool);
    await WithGatewayAsync("warm", pool, async gateway =>
    {
        // The warm creates run first in any case: the other scenarios use the task the last one leaves.
        var task = await CreateBench.RunAsync(gateway, "warm", repoUrl, options.Has("warm") ? options.Runs : 1, pool, WarmTargetMs, findings, cancel.Token);
        if (!options.Has("warm"))
        {
            findings.Checks.RemoveAll(c => c.Metric.StartsWith("create", StringComparison.Ordinal));
        }

        if (options.Has("read"))
        {
            Console.WriteLine("   read_file ...");
            await ReadBench.RunAsync(gateway, task, options, findings, cancel.Token);
        }

        if (options.Has("terminal"))
        {
            Console.WriteLine($"   terminal: {options.TerminalMb} MB ...");
            await TerminalBench.RunAsync(gateway, task, options, temp.FullName, findings, cancel.Token);
        }

        if (options.Has("replay"))
        {
            Console.WriteLine("   replay ...");
            await ReplayBench.RunAsync(gateway, task, options, findings, cancel.Token);
        }

        findings.Detail($"warm gateway: RSS at the end {ProcMemory.ToMb(gateway.ReadMemory().Rss):0} MB");
    });
}

if (options.Has("idle"))
{
    await WithGatewayAsync("idle", 0, gateway => IdleTasksBench.RunAsync(gateway, options, findings, cancel.Token), options.IdleSidecar);
}

Console.WriteLine();
Console.WriteLine($"Gateway {options.GatewayDll}; sidecar {options.SidecarPath}; {options.Runs} creates each, {options.Warmup} + {options.Requests} reads, " +
    $"c{options.Concurrency} for {options.Duration.TotalSeconds:0.#} s, {options.TerminalMb} MB terminal, {options.ReplayRuns} replays, {options.IdleTasks:N0} idle tasks; " +
    $"{Environment.ProcessorCount} cores shared by gateway, sidecars and load generator.");
Console.WriteLine(findings.Render());
foreach (var error in findings.Errors)
{
    Console.WriteLine($"ERROR {error}");
}

var settings = new Dictionary<string, string>(StringComparer.Ordinal)
{
    ["runs"] = options.Runs.ToString(CultureInfo.InvariantCulture),
    ["warmPool"] = options.WarmPool.ToString(CultureInfo.InvariantCulture),
    ["warmup"] = options.Warmup.ToString(CultureInfo.InvariantCulture),
    ["requests"] = options.Requests.ToString(CultureInfo.InvariantCulture),
    ["durationSeconds"] = options.Duration.TotalSeconds.ToString(CultureInfo.InvariantCulture),
    ["concurrency"] = options.Concurrency.ToString(CultureInfo.InvariantCulture),
    ["terminalMb"] = options.TerminalMb.ToString(CultureInfo.InvariantCulture),
    ["replayRuns"] = options.ReplayRuns.ToString(CultureInfo.InvariantCulture),
    ["idleTasks"] = options.IdleTasks.ToString(CultureInfo.InvariantCulture),
    ["idleConcurrency"] = options.IdleConcurrency.ToString(CultureInfo.InvariantCulture),
    ["scenarios"] = string.Join(",", options.Scenarios),
    ["quick"] = options.Quick ? "true" : "false",
};
var result = new BenchResult(startedAt, RuntimeInformation.OSDescription, Environment.ProcessorCount, RuntimeInformation.FrameworkDescription,
    options.Meta, settings, findings.Checks, findings.Details, findings.Numbers, findings.Errors);
await File.WriteAllTextAsync(outPath, JsonSerializer.Serialize(result, BenchJsonContext.Default.BenchResult));
Console.WriteLine($"Results: {outPath} (gateway logs next to it)");

try
{
    temp.Delete(recursive: true);
}
catch (IOException)
{
    // A sidecar may still be letting go of its folder; the temp folder is only clutter.
}

if (findings.Errors.Count > 0)
{
    await Console.Error.WriteLineAsync("BENCH FAILED: see the ERROR lines above.");
    return 1;
}

if (options.Strict && findings.Checks.Any(c => c.Pass == false))
{
    await Console.Error.WriteLineAsync("Targets missed (--strict).");
    return 1;
}

return 0;
