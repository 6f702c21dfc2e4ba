using System.Diagnostics;
using System.Net;
using System.Text.Json;

namespace Shadow.Bench.Gateway;

/// <summary>
/// Create task → first tool call possible: from <c>POST /api/tasks</c> to the first 200 of <c>GET files/read</c>, retrying
/// at once while the workspace answers 503/409 (still initializing). Creates are sequential; with a warm pool the bench
/// waits until the pool is full again (plus a settle) before the next one. Every task but the last is archived after its run.
/// </summary>
internal static class CreateBench
{
    private static readonly TimeSpan FirstReadTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan PoolRefillTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(500);

    /// <summary>Runs one unrecorded create, then <paramref name="runs"/> measured ones; answers the id of the last task (kept).</summary>
    public static async Task<string> RunAsync(GatewayProcess gateway, string label, string repoUrl, int runs, int warmPool, double targetP50Ms,
        Findings findings, CancellationToken cancellationToken)
    {
        using var api = new ApiClient(gateway.BaseAddress, gateway.ApiKey);
        var samples = new List<double>();
        var retries = new List<int>();
        var notFound = new List<int>();
        var partial = new List<int>();
        var archives = new List<double>();
        var steps = new Dictionary<string, List<double>>(StringComparer.Ordinal);
        string? keep = null;
        for (var run = 0; run <= runs; run++)
        {
            await WaitPoolAsync(gateway, warmPool, cancellationToken).ConfigureAwait(false);
            await Task.Delay(Settle, cancellationToken).ConfigureAwait(false);

            var start = Stopwatch.GetTimestamp();
            var id = await api.CreateTaskAsync(repoUrl, $"bench {label} create {run}", cancellationToken).ConfigureAwait(false);
            var attempts = 0;
            var early404 = 0;
            var early200 = 0;
            while (true)
            {
                attempts++;
                var (status, body) = await api.ReadFileAsync(id, ApiClient.ReadPath, cancellationToken).ConfigureAwait(false);
                if (status == HttpStatusCode.OK && body.Contains("readme line 01", StringComparison.Ordinal) && body.Contains("readme line 64", StringComparison.Ordinal))
                {
                    break;
                }

                if (status == HttpStatusCode.OK)
                {
                    // The same early service, caught mid-checkout: the file exists but is not written yet (200, empty content).
                    // Wrong content is retried while init runs; the timeout below fails the run if it never becomes right.
                    early200++;
                }
                else if (status == HttpStatusCode.NotFound && body.Contains("does not exist", StringComparison.Ordinal))
                {
                    // The workspace answers tool calls from WaitSidecarReady on, before CloneRepository has filled it:
                    // an early read sees an empty folder. Counted (and reported), then retried like a 503.
                    early404++;
                }
                else if (status is not (HttpStatusCode.ServiceUnavailable or HttpStatusCode.Conflict))
                {
                    throw new BenchException($"{label}: files/read answered {(int)status} while waiting for init: {ApiClient.Truncate(body)}");
                }

                if (Stopwatch.GetElapsedTime(start) > FirstReadTimeout)
                {
                    using var stuck = await api.GetJsonAsync($"api/tasks/{id}", cancellationToken).ConfigureAwait(false);
                    throw new BenchException($"{label}: no successful files/read within {FirstReadTimeout.TotalSeconds:0} s; last {(int)status}: " +
                        $"{ApiClient.Truncate(body)}; task: {ApiClient.Truncate(stuck.RootElement.GetRawText())}");
                }
            }

            var ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;

            // The step times, once init has ended (the first read can succeed while CloneRepository is still running).
            var initEnded = Stopwatch.StartNew();
            JsonDocument task;
            while (true)
            {
                task = await api.GetJsonAsync($"api/tasks/{id}", cancellationToken).ConfigureAwait(false);
                if (task.RootElement.GetProperty("status").GetString() != "initializing" || initEnded.Elapsed > FirstReadTimeout)
                {
                    break;
                }

                task.Dispose();
                await Task.Delay(20, cancellationToken).ConfigureAwait(false);
            }

            using (task)
            {
                foreach (var step in task.RootElement.GetProperty("initSteps").EnumerateArray())
                {
                    if (step.TryGetProperty("startedAt", out var s) && s.ValueKind == JsonValueKind.String
                        && step.TryGetProperty("endedAt", out var e) && e.ValueKind == JsonValueKind.String)
                    {
                        var stepName = step.GetProperty("step").ToString();
                        var d = (e.GetDateTimeOffset() - s.GetDateTimeOffset()).TotalMilliseconds;
                        if (run > 0)
                        {
                            (steps.TryGetValue(stepName, out var list) ? list : steps[stepName] = []).Add(d);
                        }
                    }
                }
            }

            if (run == 0)
            {
                Console.WriteLine($"   {label}: warm-up create {ms:0.0} ms (not recorded)");
            }
            else
            {
                samples.Add(ms);
                retries.Add(attempts - 1);
                notFound.Add(early404);
                partial.Add(early200);
                Console.WriteLine($"   {label} {run}/{runs}: {ms:0.0} ms ({attempts - 1} retries: {early404} × 404 'does not exist', {early200} × 200 with wrong content)");
            }

            if (run < runs)
            {
                var archiveStart = Stopwatch.GetTimestamp();
                await api.PostJsonAsync($"api/tasks/{id}/archive", "{}", cancellationToken).ConfigureAwait(false);
                archives.Add(Stopwatch.GetElapsedTime(archiveStart).TotalMilliseconds);
            }
            else
            {
                keep = id;
            }
        }

        var stats = Stats.FromMs(samples);
        var name = label == "warm" ? "create → first read_file, warm pool" : "create → first read_file, cold (spawn + clone 200 files)";
        findings.Add($"{name} p50", $"{Table.F(stats.P50Ms, 1)} ms", $"< {Table.F(targetP50Ms, 0)} ms", stats.P50Ms < targetP50Ms);
        findings.Add($"{name} p90", $"{Table.F(stats.P90Ms, 1)} ms", "-", null);
        findings.Numbers[$"{label}.create.p50Ms"] = stats.P50Ms;
        findings.Numbers[$"{label}.create.p90Ms"] = stats.P90Ms;
        findings.Numbers[$"{label}.create.maxMs"] = stats.MaxMs;
        findings.Detail($"{label} create → first read: n={stats.Count} p50 {Table.F(stats.P50Ms, 1)} p90 {Table.F(stats.P90Ms, 1)} max {Table.F(stats.MaxMs, 1)} ms; " +
            $"retries median {Median(retries.Select(r => (double)r)):0}; runs where files/read answered 404 'does not exist' during init " +
            $"(tool call served before the clone finished): {notFound.Count(c => c > 0)}/{notFound.Count}; " +
            $"runs where it answered 200 with the wrong content (empty, mid-checkout): {partial.Count(c => c > 0)}/{partial.Count}");
        findings.Detail($"{label} init steps, server-side median ms: " +
            string.Join(", ", steps.Select(kv => $"{kv.Key} {Table.F(Median(kv.Value), 1)}")) +
            $" (sum {Table.F(steps.Values.Sum(Median), 1)})");
        findings.Detail($"{label}: POST /archive took median {Table.F(Median(archives), 0)} ms, max {Table.F(archives.DefaultIfEmpty().Max(), 0)} ms (not part of the measurement)");
        return keep!;
    }

    /// <summary>Waits until the warm pool holds <paramref name="size"/> instances again (none to wait for when 0).</summary>
    public static async Task WaitPoolAsync(GatewayProcess gateway, int size, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        while (size > 0 && gateway.WarmRecords() < size)
        {
            if (Stopwatch.GetElapsedTime(start) > PoolRefillTimeout)
            {
                throw new BenchException($"The warm pool did not refill to {size} within {PoolRefillTimeout.TotalSeconds:0} s (has {gateway.WarmRecords()}).");
            }

            await Task.Delay(10, cancellationToken).ConfigureAwait(false);
        }
    }

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? 0 : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
