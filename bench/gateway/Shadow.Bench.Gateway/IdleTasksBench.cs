using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;

namespace Shadow.Bench.Gateway;

/// <summary>
/// Many idle tasks in one silo. 10,000 real workspaces would be 10,000 sidecars, so the tasks point at a repository that
/// does not exist: init spawns a sidecar, fails at CloneRepository and releases the workspace (the sidecar is stopped),
/// and the task stays with its TaskGrain, its UserGrain entry and its WorkspaceGrain state. Creates run with a bounded
/// number of inits in flight (a create answers at once; the bench polls the task until init has ended). Then every task
/// is read once more so all are active, and the gateway's VmRSS is read.
/// </summary>
internal static class IdleTasksBench
{
    public const double TargetMbPer10k = 1024;
    public const string MissingRepo = "file:///nonexistent/shadow-bench-missing-repo.git";
    private const int WarmupTasks = 20;

    public static async Task RunAsync(GatewayProcess gateway, BenchOptions options, Findings findings, CancellationToken cancellationToken)
    {
        var n = options.IdleTasks;
        using var api = new ApiClient(gateway.BaseAddress, gateway.ApiKey, connections: options.IdleConcurrency + 8, timeout: TimeSpan.FromMinutes(2));
        var outcomes = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);

        // Warm-up tasks: JIT and first activations belong to the baseline, not to the per-task cost.
        await CreateManyAsync(api, WarmupTasks, options.IdleConcurrency, outcomes, null, cancellationToken).ConfigureAwait(false);
        await Task.Delay(TimeSpan.FromSeconds(3), cancellationToken).ConfigureAwait(false);
        var rssBefore = gateway.ReadMemory().Rss;
        var storeBefore = gateway.StoreBytes();
        outcomes.Clear();

        var progress = new List<(int Done, double Seconds)>();
        var sw = Stopwatch.StartNew();
        var ids = await CreateManyAsync(api, n, options.IdleConcurrency, outcomes, (done, _) =>
        {
            lock (progress)
            {
                progress.Add((done, sw.Elapsed.TotalSeconds));
            }

            if (done % Math.Max(1, n / 10) == 0)
            {
                Console.WriteLine($"   idle tasks: {done}/{n} created and settled after {sw.Elapsed.TotalSeconds:0.0} s; gateway RSS {ProcMemory.ToMb(gateway.ReadMemory().Rss):0} MB");
            }
        }, cancellationToken).ConfigureAwait(false);
        var createSeconds = sw.Elapsed.TotalSeconds;
        var storeAfter = gateway.StoreBytes();

        // Every task once more, so each TaskGrain is active (those collected meanwhile come back).
        sw.Restart();
        await Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken }, async (id, ct) =>
        {
            using var _ = await api.GetJsonAsync($"api/tasks/{id}", ct).ConfigureAwait(false);
        }).ConfigureAwait(false);
        var getSeconds = sw.Elapsed.TotalSeconds;
        await Task.Delay(TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
        var (rssAfter, peak) = gateway.ReadMemory();
        var liveSidecars = Procs.FindByExecutable(options.SidecarPath).Count;

        var perThousand = ProcMemory.ToMb(rssAfter - rssBefore) / n * 1000;
        var projected = ProcMemory.ToMb(rssBefore) + (perThousand * 10);
        var how = options.IdleSidecar is null ? "init failed at CloneRepository" : $"sidecar = {options.IdleSidecar}, init failed at CreateWorkspace";
        findings.Detail($"idle tasks: {how} (see outcomes)");
        findings.Add($"gateway RSS with {n:N0} idle tasks", $"{ProcMemory.ToMb(rssAfter):0} MB (before {ProcMemory.ToMb(rssBefore):0} MB)",
            n >= 10_000 ? $"< {TargetMbPer10k:0} MB" : "-", n >= 10_000 ? ProcMemory.ToMb(rssAfter) < TargetMbPer10k : null);
        findings.Add("gateway RSS per 1,000 idle tasks", $"{Table.F(perThousand, 1)} MB", "-", null);
        if (n < 10_000)
        {
            findings.Add("  projected for 10,000 (before + 10 × per-1,000)", $"{projected:0} MB", $"< {TargetMbPer10k:0} MB", projected < TargetMbPer10k);
        }

        findings.Add($"time to create {n:N0} tasks (init ended, {options.IdleConcurrency} in flight)", $"{Table.F(createSeconds, 1)} s ({Table.F(n / createSeconds, 0)} tasks/s)", "-", null);
        findings.Add("store bytes per task creation (db + wal)", $"{Table.F((storeAfter - storeBefore) / (double)n / 1024, 1)} KB", "-", null);
        findings.Numbers["idle.tasks"] = n;
        findings.Numbers["idle.rssBeforeMb"] = ProcMemory.ToMb(rssBefore);
        findings.Numbers["idle.rssAfterMb"] = ProcMemory.ToMb(rssAfter);
        findings.Numbers["idle.peakRssMb"] = ProcMemory.ToMb(peak);
        findings.Numbers["idle.mbPer1000"] = perThousand;
        findings.Numbers["idle.createSeconds"] = createSeconds;
        findings.Numbers["idle.storeBytesPerTask"] = (storeAfter - storeBefore) / (double)n;
        findings.Numbers["idle.liveSidecars"] = liveSidecars;
        findings.Detail($"idle tasks: RSS {ProcMemory.ToMb(rssBefore):0} → {ProcMemory.ToMb(rssAfter):0} MB (peak {ProcMemory.ToMb(peak):0} MB); " +
            $"outcomes: {string.Join(", ", outcomes.OrderByDescending(kv => kv.Value).Select(kv => $"{kv.Key} ×{kv.Value}"))}; " +
            $"GET of all {n:N0} took {Table.F(getSeconds, 1)} s; sidecars running afterwards: {liveSidecars}");
        findings.Detail($"idle tasks: store {ProcMemory.ToMb(storeBefore):0.0} → {ProcMemory.ToMb(storeAfter):0.0} MB (db + wal + shm; the WAL is reused after checkpoints, so this is a lower bound of bytes written)");
        if (progress.Count >= 10)
        {
            var tenth = progress.Count / 10;
            var first = tenth / progress[tenth - 1].Seconds;
            var lastRate = tenth / (progress[^1].Seconds - progress[^(tenth + 1)].Seconds);
            findings.Detail($"idle tasks: create rate first 10% {first:0} tasks/s, last 10% {lastRate:0} tasks/s");
            findings.Numbers["idle.rateFirstTenth"] = first;
            findings.Numbers["idle.rateLastTenth"] = lastRate;
        }
    }

    /// <summary>Creates <paramref name="count"/> tasks on the missing repository, at most <paramref name="concurrency"/> initializing at once.</summary>
    private static async Task<List<string>> CreateManyAsync(ApiClient api, int count, int concurrency, ConcurrentDictionary<string, int> outcomes,
        Action<int, string>? settled, CancellationToken cancellationToken)
    {
        var ids = new ConcurrentBag<string>();
        var done = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                var id = await api.CreateTaskAsync(MissingRepo, $"idle bench task {i}", ct).ConfigureAwait(false);
                ids.Add(id);
                var outcome = await WaitInitEndedAsync(api, id, ct).ConfigureAwait(false);
                outcomes.AddOrUpdate(outcome, 1, (_, v) => v + 1);
                settled?.Invoke(Interlocked.Increment(ref done), id);
            }).ConfigureAwait(false);
        return [.. ids];
    }

    private static async Task<string> WaitInitEndedAsync(ApiClient api, string id, CancellationToken cancellationToken)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            using var task = await api.GetJsonAsync($"api/tasks/{id}", cancellationToken).ConfigureAwait(false);
            var status = task.RootElement.GetProperty("status").GetString();
            if (status != "initializing")
            {
                var failed = task.RootElement.GetProperty("initSteps").EnumerateArray()
                    .FirstOrDefault(s => s.GetProperty("status").GetString() == "failed");
                return failed.ValueKind == JsonValueKind.Object ? $"{status} at {failed.GetProperty("step")}" : status ?? "?";
            }

            if (sw.Elapsed > TimeSpan.FromSeconds(120))
            {
                throw new BenchException($"idle: task {id} still initializing after 120 s: {ApiClient.Truncate(task.RootElement.GetRawText())}");
            }

            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }
    }
}
