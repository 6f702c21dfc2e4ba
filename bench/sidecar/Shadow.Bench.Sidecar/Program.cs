using System.Runtime.InteropServices;
using System.Text.Json;
using Shadow.Bench.Sidecar;

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
var scenarios = Scenario.CreateAll(options.Workspace)
    .Where(s => options.Scenarios is null || options.Scenarios.Contains(s.Name))
    .ToList();

var sidecars = new List<SidecarResult>();
foreach (var target in options.Sidecars)
{
    Console.WriteLine($"-- {target.Label}: {target.Path}");
    sidecars.Add(await SidecarBench.RunAsync(target, options, scenarios, cancel.Token));
}

var checks = sidecars.SelectMany(Report.BuildChecks).ToList();
Console.WriteLine();
Console.WriteLine($"Workspace {options.Workspace}; {options.Warmup} warm-up + {options.Requests} sequential requests, " +
    $"c{options.Concurrency} for {options.Duration.TotalSeconds:0.#} s; {Environment.ProcessorCount} cores shared by sidecar and load generator.");
foreach (var sidecar in sidecars)
{
    Console.WriteLine(Report.Render(sidecar, checks.Where(c => c.Sidecar == sidecar.Label).ToList()));
}

var result = new BenchResult(
    startedAt,
    RuntimeInformation.OSDescription,
    Environment.ProcessorCount,
    RuntimeInformation.FrameworkDescription,
    options.Meta,
    new BenchSettings(options.Warmup, options.Requests, options.Duration.TotalSeconds, options.Concurrency, options.ColdRuns,
        options.IdleWait.TotalSeconds, options.Quick),
    sidecars,
    checks);
var outPath = Path.GetFullPath(options.Out);
Directory.CreateDirectory(Path.GetDirectoryName(outPath)!);
await File.WriteAllTextAsync(outPath, JsonSerializer.Serialize(result, BenchJsonContext.Default.BenchResult));
Console.WriteLine($"Results: {outPath}");

var harnessFailed = sidecars.Any(s => s.Error is not null || s.Scenarios.Any(x => x.Outcome == "failed"));
var targetMissed = checks.Any(c => c.Pass == false);
if (harnessFailed)
{
    await Console.Error.WriteLineAsync("BENCH FAILED: a scenario answered a wrong status or body, or a sidecar died; see FAILED rows above.");
    return 1;
}

if (targetMissed && options.Strict)
{
    await Console.Error.WriteLineAsync("Targets missed (--strict).");
    return 1;
}

return 0;
