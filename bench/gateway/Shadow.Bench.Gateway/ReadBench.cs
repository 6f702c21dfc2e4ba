using System.Diagnostics;
using System.Net;

namespace Shadow.Bench.Gateway;

/// <summary>
/// <c>read_file</c> of 4 KB through gateway → WorkspaceGrain → sidecar: warm-up, then sequential requests on one
/// keep-alive connection (each timed to the last byte of the body), then N connections for a fixed time.
/// </summary>
internal static class ReadBench
{
    public const double TargetP50Ms = 2;
    public const double TargetP99Ms = 10;

    public static async Task RunAsync(GatewayProcess gateway, string taskId, BenchOptions options, Findings findings, CancellationToken cancellationToken)
    {
        var uri = ApiClient.ReadUri(taskId, ApiClient.ReadPath);
        using var api = new ApiClient(gateway.BaseAddress, gateway.ApiKey);
        var (status, body) = await api.ReadFileAsync(taskId, ApiClient.ReadPath, cancellationToken).ConfigureAwait(false);
        if (status != HttpStatusCode.OK || !body.Contains("readme line 01", StringComparison.Ordinal) || !body.Contains("readme line 64", StringComparison.Ordinal))
        {
            throw new BenchException($"read: probe answered {(int)status}: {ApiClient.Truncate(body)}");
        }

        var buffer = new byte[64 * 1024];
        for (var i = 0; i < options.Warmup; i++)
        {
            await SendAsync(api.Http, uri, buffer, cancellationToken).ConfigureAwait(false);
        }

        var samples = new long[options.Requests];
        for (var i = 0; i < samples.Length; i++)
        {
            var start = Stopwatch.GetTimestamp();
            await SendAsync(api.Http, uri, buffer, cancellationToken).ConfigureAwait(false);
            samples[i] = Stopwatch.GetTimestamp() - start;
        }

        var seq = Stats.FromTicks(samples);
        findings.Add("read_file 4 KB p50 (sequential)", $"{Table.F(seq.P50Ms, 3)} ms", $"< {Table.F(TargetP50Ms, 0)} ms", seq.P50Ms < TargetP50Ms);
        findings.Add("read_file 4 KB p99 (sequential)", $"{Table.F(seq.P99Ms, 3)} ms", $"< {Table.F(TargetP99Ms, 0)} ms", seq.P99Ms < TargetP99Ms);
        findings.Numbers["read.p50Ms"] = seq.P50Ms;
        findings.Numbers["read.p90Ms"] = seq.P90Ms;
        findings.Numbers["read.p99Ms"] = seq.P99Ms;
        findings.Numbers["read.maxMs"] = seq.MaxMs;

        // The concurrent phase: every connection opened before the clock starts.
        var clients = Enumerable.Range(0, options.Concurrency).Select(_ => new ApiClient(gateway.BaseAddress, gateway.ApiKey)).ToArray();
        try
        {
            await Task.WhenAll(clients.Select(c => SendAsync(c.Http, uri, new byte[64 * 1024], cancellationToken))).ConfigureAwait(false);
            var cpuBefore = Procs.CpuSeconds(gateway.ProcessId);
            var sidecarCpuBefore = Procs.CpuSecondsOf(gateway.SidecarPath);
            var clientCpuBefore = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
            var begin = Stopwatch.GetTimestamp();
            var end = begin + (long)(options.Duration.TotalSeconds * Stopwatch.Frequency);
            var workers = clients.Select(client => Task.Run(async () =>
            {
                var local = new byte[64 * 1024];
                var latencies = new List<long>(1 << 14);
                long now;
                while ((now = Stopwatch.GetTimestamp()) < end)
                {
                    await SendAsync(client.Http, uri, local, cancellationToken).ConfigureAwait(false);
                    latencies.Add(Stopwatch.GetTimestamp() - now);
                }

                return (Latencies: latencies, Finished: Stopwatch.GetTimestamp());
            }, cancellationToken)).ToArray();
            await Task.WhenAll(workers).ConfigureAwait(false);
            var seconds = (workers.Max(w => w.Result.Finished) - begin) / (double)Stopwatch.Frequency;
            var all = workers.SelectMany(w => w.Result.Latencies).ToArray();
            var con = Stats.FromTicks(all);
            var rps = all.Length / seconds;
            var gatewayCpu = Procs.CpuSeconds(gateway.ProcessId) - cpuBefore;
            var sidecarCpu = Procs.CpuSecondsOf(gateway.SidecarPath) - sidecarCpuBefore;
            var clientCpu = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds - clientCpuBefore;
            findings.Add($"read_file 4 KB, c{options.Concurrency} for {options.Duration.TotalSeconds:0.#} s", $"{Table.F(rps, 0)} req/s", "-", null);
            findings.Numbers["read.concurrent.rps"] = rps;
            findings.Numbers["read.concurrent.p50Ms"] = con.P50Ms;
            findings.Numbers["read.concurrent.p99Ms"] = con.P99Ms;
            findings.Detail($"read_file sequential: n={seq.Count} p50 {Table.F(seq.P50Ms, 3)} p90 {Table.F(seq.P90Ms, 3)} p99 {Table.F(seq.P99Ms, 3)} max {Table.F(seq.MaxMs, 3)} ms");
            findings.Detail($"read_file c{options.Concurrency}: {Table.F(rps, 0)} req/s, p50 {Table.F(con.P50Ms, 3)} p99 {Table.F(con.P99Ms, 3)} ms; CPU per request: " +
                $"gateway+silo {Table.F(gatewayCpu / all.Length * 1e6, 0)} µs, sidecar {Table.F(sidecarCpu / all.Length * 1e6, 0)} µs, load generator {Table.F(clientCpu / all.Length * 1e6, 0)} µs");
        }
        finally
        {
            foreach (var c in clients)
            {
                c.Dispose();
            }
        }
    }

    private static async Task SendAsync(HttpClient client, Uri uri, byte[] buffer, CancellationToken cancellationToken)
    {
        using var response = await client.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new BenchException($"read: {uri} answered {(int)response.StatusCode}: " +
                ApiClient.Truncate(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)));
        }

        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            while (await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false) > 0)
            {
            }
        }
    }
}
