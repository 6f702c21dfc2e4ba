using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Shadow.Bench.Agent;

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

var startedAt = TimeProvider.System.GetUtcNow();
var findings = new Findings();
var temp = Directory.CreateTempSubdirectory("shadow-agent-bench-");
var outPath = Path.GetFullPath(options.Out);
Directory.CreateDirectory(Path.GetDirectoryName(outPath)!);
var dataDir = Path.Combine(temp.FullName, "data");
var script = Path.Combine(temp.FullName, "agent-script.json");
AgentScript.Write(script, options.WarmupSteps, options.Steps, options.ReadSteps);
Console.WriteLine($"-- script: {AgentScript.Describe(options.WarmupSteps, options.Steps, options.ReadSteps)}");
Console.WriteLine($"-- silo in-process: data {dataDir} (SQLite, synchronous=FULL), Local runtime with {options.SidecarPath}");

SiloHost? silo = null;
try
{
    var maxSteps = (2 * Math.Max(options.Steps, Math.Max(options.ReadSteps + 1, options.WarmupSteps))) + 10;
    silo = await SiloHost.StartAsync(dataDir, options.SidecarPath, script, maxSteps, cancel.Token);
    var turns = await StepBench.RunAsync(silo, options, findings, cancel.Token);
    await BytesReport.ReportAsync(silo, turns, findings, cancel.Token);
    await CommitBench.RunAsync(silo, options, findings, cancel.Token);
    await StepBench.RunCommitTurnAsync(silo, findings, cancel.Token);
    await silo.Client.GetGrain<Shadow.Grains.Abstractions.Tasks.ITaskGrain>(StepBench.TaskId).ArchiveAsync(cancel.Token);
}
catch (Exception e) when (e is BenchException or InvalidOperationException or IOException or TimeoutException or OrleansException
    || (e is OperationCanceledException && !cancel.IsCancellationRequested))
{
    var message = $"{e.GetType().Name}: {e.Message}";
    findings.Errors.Add(message);
    Console.WriteLine($"   FAILED {message}");
}
finally
{
    if (silo is not null)
    {
        await silo.DisposeAsync();
    }
}

Console.WriteLine();
Console.WriteLine($"Silo in-process (Release, server GC), Local runtime, sidecar {options.SidecarPath}; remote {options.Repo} (200 files); " +
    $"{Environment.ProcessorCount} cores shared by silo, sidecar, git and the bench.");
Console.WriteLine(findings.Render());
foreach (var error in findings.Errors)
{
    Console.WriteLine($"ERROR {error}");
}

var settings = new Dictionary<string, string>(StringComparer.Ordinal)
{
    ["steps"] = options.Steps.ToString(CultureInfo.InvariantCulture),
    ["readSteps"] = options.ReadSteps.ToString(CultureInfo.InvariantCulture),
    ["warmupSteps"] = options.WarmupSteps.ToString(CultureInfo.InvariantCulture),
    ["commits"] = options.Commits.ToString(CultureInfo.InvariantCulture),
    ["quick"] = options.Quick ? "true" : "false",
};
var result = new BenchResult(startedAt, RuntimeInformation.OSDescription, Environment.ProcessorCount, RuntimeInformation.FrameworkDescription,
    options.Meta, settings, findings.Checks, findings.Details, findings.Numbers, findings.Errors);
await File.WriteAllTextAsync(outPath, JsonSerializer.Serialize(result, BenchJsonContext.Default.BenchResult));
Console.WriteLine($"Results: {outPath}");

if (options.Keep)
{
    Console.WriteLine($"Kept {temp.FullName} (data dir with shadow.db, the script).");
}
else
{
    try
    {
        temp.Delete(recursive: true);
    }
    catch (IOException)
    {
        // A sidecar may still be letting go of its folder; the temp folder is only clutter.
    }
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
