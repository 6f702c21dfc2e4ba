using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;

namespace Shadow.Bench.Sidecar;

/// <summary>Everything measured on one sidecar build: cold starts, idle RSS, the scenarios, RSS after load.</summary>
internal static class SidecarBench
{
    private static readonly TimeSpan ListenTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan HealthTimeout = TimeSpan.FromSeconds(10);

    public static async Task<SidecarResult> RunAsync(SidecarTarget target, BenchOptions options, IReadOnlyList<Scenario> scenarios,
        CancellationToken cancellationToken)
    {
        var token = Convert.ToHexString(RandomNumberGenerator.GetBytes(24));
        var binaryBytes = new FileInfo(target.Path).Length;
        var coldStarts = new List<ColdStart>();
        var results = new List<ScenarioResult>();
        double? idleMb = null, afterMb = null, peakMb = null;
        try
        {
            // One unrecorded start: warms the page cache for the binary and JIT-compiles this process's HTTP stack,
            // so the recorded runs measure the sidecar and not the load generator's first request.
            _ = await ColdStartAsync(target, options.Workspace, token, cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < options.ColdRuns; i++)
            {
                var cold = await ColdStartAsync(target, options.Workspace, token, cancellationToken).ConfigureAwait(false);
                coldStarts.Add(cold);
                Console.WriteLine($"   cold start {i + 1}: {Report.F(cold.FirstHealthMs, 1)} ms to first /health 200 (listening after {Report.F(cold.ListeningMs, 1)} ms)");
            }

            var stateDir = Directory.CreateTempSubdirectory("shadow-bench-state-");
            try
            {
                var sidecar = SidecarInstance.Spawn(target.Path, options.Workspace, stateDir.FullName, token);
                await using (sidecar.ConfigureAwait(false))
                {
                    var address = await sidecar.WaitListeningAsync(ListenTimeout, cancellationToken).ConfigureAwait(false);
                    var runner = new LoadRunner(address, token, options);
                    using (var client = runner.CreateClient())
                    {
                        for (var i = 0; i < 5; i++)
                        {
                            using var response = await client.GetAsync(new Uri("health", UriKind.Relative), cancellationToken).ConfigureAwait(false);
                            if (response.StatusCode != HttpStatusCode.OK)
                            {
                                throw new BenchException($"/health answered {(int)response.StatusCode} on a fresh sidecar.");
                            }
                        }
                    }

                    await Task.Delay(options.IdleWait, cancellationToken).ConfigureAwait(false);
                    idleMb = ToMb(sidecar.ReadMemory().Rss);
                    Console.WriteLine($"   idle RSS: {Report.F(idleMb.Value, 1)} MB");

                    foreach (var scenario in scenarios)
                    {
                        results.Add(await RunScenarioAsync(runner, scenario, sidecar, cancellationToken).ConfigureAwait(false));
                    }

                    var (rss, peak) = sidecar.ReadMemory();
                    (afterMb, peakMb) = (ToMb(rss), ToMb(peak));
                }
            }
            finally
            {
                stateDir.Delete(recursive: true);
            }

            return new SidecarResult(target.Label, target.Path, binaryBytes, coldStarts, Median(coldStarts), idleMb, afterMb, peakMb, results, null);
        }
        catch (Exception e) when (e is BenchException or HttpRequestException or IOException)
        {
            await Console.Error.WriteLineAsync($"   {target.Label} FAILED: {e.Message}").ConfigureAwait(false);
            return new SidecarResult(target.Label, target.Path, binaryBytes, coldStarts, Median(coldStarts), idleMb, afterMb, peakMb, results, e.Message);
        }
    }

    private static async Task<ScenarioResult> RunScenarioAsync(LoadRunner runner, Scenario scenario, SidecarInstance sidecar,
        CancellationToken cancellationToken)
    {
        ScenarioResult result;
        try
        {
            result = await runner.RunAsync(scenario, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is BenchException or HttpRequestException || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            result = ScenarioResult.Failed(scenario, e is TaskCanceledException ? "a request timed out (30 s)" : e.Message);
        }

        switch (result.Outcome)
        {
            case "missing":
                Console.WriteLine($"   {scenario.Name}: n/a (route missing)");
                break;
            case "failed":
                await Console.Error.WriteLineAsync($"   {scenario.Name} FAILED: {result.Error}").ConfigureAwait(false);
                break;
            default:
                Console.WriteLine($"   {scenario.Name}: p50 {Report.F(result.Sequential!.P50Ms, 3)} ms, p99 {Report.F(result.Sequential.P99Ms, 3)} ms, " +
                    $"c{result.Concurrent!.Connections} {Report.F(result.Concurrent.RequestsPerSecond, 0)} req/s");
                break;
        }

        if (sidecar.HasExited)
        {
            throw new BenchException($"The sidecar died during '{scenario.Name}'. Output:\n{sidecar.Output}");
        }

        return result;
    }

    /// <summary>Spawn → listening line → first <c>/health</c> 200 (polled every millisecond on a fresh connection).</summary>
    private static async Task<ColdStart> ColdStartAsync(SidecarTarget target, string workspace, string token, CancellationToken cancellationToken)
    {
        var stateDir = Directory.CreateTempSubdirectory("shadow-bench-cold-");
        try
        {
            using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(5) };
            var start = Stopwatch.GetTimestamp();
            var sidecar = SidecarInstance.Spawn(target.Path, workspace, stateDir.FullName, token);
            await using (sidecar.ConfigureAwait(false))
            {
                var address = await sidecar.WaitListeningAsync(ListenTimeout, cancellationToken).ConfigureAwait(false);
                var listening = Stopwatch.GetElapsedTime(start);
                var health = new Uri(address, "health");
                while (true)
                {
                    try
                    {
                        using var response = await client.GetAsync(health, cancellationToken).ConfigureAwait(false);
                        if (response.StatusCode == HttpStatusCode.OK)
                        {
                            return new ColdStart(listening.TotalMilliseconds, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                        }
                    }
                    catch (HttpRequestException)
                    {
                        // Not accepting yet: poll again.
                    }

                    if (Stopwatch.GetElapsedTime(start) > HealthTimeout || sidecar.HasExited)
                    {
                        throw new BenchException($"No /health 200 within {HealthTimeout.TotalSeconds:0} s of spawning. Output:\n{sidecar.Output}");
                    }

                    await Task.Delay(1, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            stateDir.Delete(recursive: true);
        }
    }

    private static double? Median(List<ColdStart> runs)
    {
        if (runs.Count == 0)
        {
            return null;
        }

        var sorted = runs.Select(r => r.FirstHealthMs).Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static double ToMb(long bytes) => ProcMemory.ToMb(bytes);
}
