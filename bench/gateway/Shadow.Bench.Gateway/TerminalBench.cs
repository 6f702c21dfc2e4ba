using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Shadow.Sidecar.Contracts;

namespace Shadow.Bench.Gateway;

/// <summary>
/// Terminal output → SSE client. A background command writes a known number of bytes (100-byte lines from <c>yes</c>,
/// then a marker line) while one SSE client follows the terminal from its current end; the rate is the command's bytes
/// over the time from starting the command to the marker reaching the client. Background, because a foreground exec
/// answer is capped (Sidecar:Exec:MaxOutputBytes, 1 MiB) and times out (30 s); the terminal buffer gets everything anyway.
/// The same command against a standalone sidecar's own <c>/terminal/stream</c> splits the path.
/// </summary>
internal static class TerminalBench
{
    public const double TargetMbPerSecond = 100;
    private const int LineBytes = 100;

    public static async Task RunAsync(GatewayProcess gateway, string taskId, BenchOptions options, string tempRoot, Findings findings,
        CancellationToken cancellationToken)
    {
        var bytes = (long)options.TerminalMb * 1024 * 1024 / LineBytes * LineBytes;
        var timeout = TimeSpan.FromSeconds(Math.Max(60, options.TerminalMb * 2));

        // 1. The sidecar alone: its /terminal/stream, same command, same binary, a checkout of the same repo.
        var token = Convert.ToHexString(RandomNumberGenerator.GetBytes(24));
        var state = Directory.CreateDirectory(Path.Combine(tempRoot, "sidecar-state"));
        var sidecar = SidecarInstance.Spawn(gateway.SidecarPath, options.Workspace, state.FullName, token);
        await using (sidecar.ConfigureAwait(false))
        {
            var address = await sidecar.WaitListeningAsync(TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
            using var direct = new ApiClient(address, token, connections: 4, timeout: Timeout.InfiniteTimeSpan);
            using var history = await direct.GetJsonAsync($"{SidecarRoutes.Terminal.History.TrimStart('/')}?limit=1", cancellationToken).ConfigureAwait(false);
            var last = history.RootElement.GetProperty("lastSeq").GetInt64();
            var (command, marker) = Command(bytes);
            var cpu0 = Procs.CpuSeconds(sidecar.ProcessId);
            long startedAt = 0;
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(SidecarRoutes.Terminal.Stream.TrimStart('/'), UriKind.Relative));
            request.Headers.Add("Last-Event-ID", last.ToString(CultureInfo.InvariantCulture));
            var counter = await SseCounter.ReadAsync(direct.Http, request, marker, 0, async () =>
            {
                startedAt = Stopwatch.GetTimestamp();
                await direct.PostJsonAsync(SidecarRoutes.Exec.Background.TrimStart('/'), ApiClient.Json(("command", command)), cancellationToken).ConfigureAwait(false);
            }, timeout, cancellationToken).ConfigureAwait(false);
            Report(findings, "sidecar alone: /terminal/stream", "terminal.sidecar", counter, startedAt, bytes, null,
                $"sidecar CPU {Table.F(Procs.CpuSeconds(sidecar.ProcessId) - cpu0, 2)} s");
        }

        // 2. End to end: sidecar → TerminalGrain (follows the sidecar's stream) → gateway SSE → client.
        using (var api = new ApiClient(gateway.BaseAddress, gateway.ApiKey, connections: 4, timeout: Timeout.InfiniteTimeSpan))
        {
            using var page = await api.GetJsonAsync($"api/tasks/{taskId}/terminal/history?since=0&limit=1", cancellationToken).ConfigureAwait(false);
            var last = page.RootElement.GetProperty("lastSeq").GetInt64();
            var (command, marker) = Command(bytes);
            var gw0 = Procs.CpuSeconds(gateway.ProcessId);
            var sc0 = Procs.CpuSecondsOf(gateway.SidecarPath);
            var me0 = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
            var store0 = gateway.StoreBytes();
            long startedAt = 0;
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"api/tasks/{taskId}/terminal", UriKind.Relative));
            request.Headers.Add("Last-Event-ID", last.ToString(CultureInfo.InvariantCulture));
            var counter = await SseCounter.ReadAsync(api.Http, request, marker, 0, async () =>
            {
                startedAt = Stopwatch.GetTimestamp();
                await api.PostJsonAsync($"api/tasks/{taskId}/workspace/exec/background", ApiClient.Json(("command", command)), cancellationToken)
                    .ConfigureAwait(false);
            }, timeout, cancellationToken).ConfigureAwait(false);
            var cpu = $"CPU: gateway+silo {Table.F(Procs.CpuSeconds(gateway.ProcessId) - gw0, 2)} s, sidecars {Table.F(Procs.CpuSecondsOf(gateway.SidecarPath) - sc0, 2)} s, " +
                $"load generator {Table.F(Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds - me0, 2)} s; store grew {Table.F(ProcMemory.ToMb(gateway.StoreBytes() - store0), 1)} MB";
            Report(findings, "terminal output → SSE client (end to end)", "terminal.gateway", counter, startedAt, bytes, TargetMbPerSecond, cpu);

            // The grain's buffer after the run.
            using var info = await api.GetJsonAsync($"api/tasks/{taskId}/terminal/history?since=0&limit=1", cancellationToken).ConfigureAwait(false);
            findings.Detail($"terminal grain after the run: lastSeq {info.RootElement.GetProperty("lastSeq").GetInt64()}");
        }
    }

    private static void Report(Findings findings, string metric, string key, SseCounter counter, long startedAt, long bytes, double? target, string cpu)
    {
        var end = counter.Done ? counter.DoneAt : Stopwatch.GetTimestamp();
        var seconds = (end - startedAt) / (double)Stopwatch.Frequency;
        var produced = counter.Done ? bytes : Math.Min(bytes, counter.DataBytes);
        var mbps = ProcMemory.ToMb(produced) / seconds;
        var dataMbps = ProcMemory.ToMb(counter.DataBytes) / seconds;
        var lossless = counter.Done && counter.Gaps == 0;

        // A lossy run delivered less than was written: its rate is what reached the client (SSE data bytes), not the
        // command's bytes over the time to the marker.
        var delivered = lossless ? mbps : Math.Min(mbps, dataMbps);
        var measured = $"{Table.F(delivered, 1)} MB/s" + (counter.Done ? string.Empty : " (did not finish)") +
            (counter.Gaps > 0 ? $" delivered (lossy: {counter.Gaps} gaps, {counter.DroppedEntries} entries dropped; marker after {Table.F(seconds, 2)} s = {Table.F(mbps, 0)} MB/s written)" : string.Empty);
        findings.Add(metric, measured, target is { } t ? $">= {Table.F(t, 0)} MB/s" : "-", target is { } tt ? lossless && mbps >= tt : null);
        findings.Numbers[$"{key}.deliveredMbPerSecond"] = delivered;
        findings.Numbers[$"{key}.mbPerSecond"] = mbps;
        findings.Numbers[$"{key}.seconds"] = seconds;
        findings.Numbers[$"{key}.gaps"] = counter.Gaps;
        findings.Detail($"{metric}: {Table.F(ProcMemory.ToMb(bytes), 0)} MB written in {Table.F(seconds, 2)} s → {Table.F(mbps, 1)} MB/s; " +
            $"client got {counter.Events} events, {Table.F(ProcMemory.ToMb(counter.DataBytes), 1)} MB of SSE data ({Table.F(dataMbps, 1)} MB/s), " +
            $"{counter.Gaps} gaps ({counter.DroppedEntries} entries dropped); {cpu}");
    }

    /// <summary>A command writing exactly <paramref name="bytes"/> of 100-byte lines, then a marker that its own text does not contain.</summary>
    private static (string Command, string Marker) Command(long bytes)
    {
        var nonce = Convert.ToHexString(RandomNumberGenerator.GetBytes(6));
        var line = "shadow terminal bench line ".PadRight(LineBytes - 1, 'x');
        return ($"yes '{line}' | head -c {bytes.ToString(CultureInfo.InvariantCulture)}; printf 'SHADOWBENCHEND%s\\n' {nonce}", "SHADOWBENCHEND" + nonce);
    }
}
