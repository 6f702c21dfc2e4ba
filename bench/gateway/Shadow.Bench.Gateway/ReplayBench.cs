using System.Diagnostics;
using System.Net;
using System.Text.Json;

namespace Shadow.Bench.Gateway;

/// <summary>
/// Replay of 10,000 terminal entries: fills the task's terminal with more than 10,000 small entries (one line per write,
/// 0.2 ms apart so each pipe read is its own entry), then times <c>GET …/terminal/history?since=0&amp;limit=10000</c>
/// (paged by the largest page the gateway allows when it refuses that) and the SSE replay from <c>Last-Event-ID: 0</c>
/// to the 10,000th entry.
/// </summary>
internal static class ReplayBench
{
    public const double TargetMs = 50;
    private const int Entries = 10_000;

    public static async Task RunAsync(GatewayProcess gateway, string taskId, BenchOptions options, Findings findings, CancellationToken cancellationToken)
    {
        using var api = new ApiClient(gateway.BaseAddress, gateway.ApiKey, connections: 2, timeout: TimeSpan.FromMinutes(2));
        var held = 0;
        for (var round = 0; round < 4 && held < Entries; round++)
        {
            using (var start = await api.GetJsonAsync($"api/tasks/{taskId}/terminal/history?since=0&limit=1", cancellationToken).ConfigureAwait(false))
            {
                var before = start.RootElement.GetProperty("lastSeq").GetInt64();
                var lines = Entries + 1000;
                var command = $"perl -e '$|=1; for (1..{lines}) {{ print \"replay line $_\\n\"; select(undef, undef, undef, 0.0002) }}'";
                var exec = await api.PostJsonAsync($"api/tasks/{taskId}/workspace/exec",
                    ApiClient.Json(("command", command), ("timeoutSeconds", 300)), cancellationToken).ConfigureAwait(false);
                if (!exec.Contains($"replay line {lines}", StringComparison.Ordinal))
                {
                    throw new BenchException($"replay: the filler command did not finish: {ApiClient.Truncate(exec)}");
                }

                // The grain follows the sidecar asynchronously: wait until it has caught up with the exit entry.
                var sw = Stopwatch.StartNew();
                long last;
                do
                {
                    await Task.Delay(100, cancellationToken).ConfigureAwait(false);
                    using var now = await api.GetJsonAsync($"api/tasks/{taskId}/terminal/history?since=0&limit=1", cancellationToken).ConfigureAwait(false);
                    last = now.RootElement.GetProperty("lastSeq").GetInt64();
                }
                while (last - before < lines / 2 && sw.Elapsed < TimeSpan.FromSeconds(30));

                await Task.Delay(500, cancellationToken).ConfigureAwait(false);
                held = await CountHeldAsync(api, taskId, cancellationToken).ConfigureAwait(false);
                Console.WriteLine($"   replay: filler round {round + 1} appended {last - before} entries; the terminal holds {held}");
            }
        }

        if (held < Entries)
        {
            throw new BenchException($"replay: the terminal holds only {held} entries after 4 filler rounds (want {Entries}).");
        }

        // History: one request for 10,000, as the target says; the gateway caps pages, so page when it refuses.
        var (status, body) = await api.GetAsync($"api/tasks/{taskId}/terminal/history?since=0&limit={Entries}", cancellationToken).ConfigureAwait(false);
        var oneShot = status == HttpStatusCode.OK;
        if (!oneShot)
        {
            findings.Detail($"history ?since=0&limit={Entries} answered {(int)status}: {ApiClient.Truncate(body).ReplaceLineEndings(" ")} — paged instead");
        }

        var pageSize = oneShot ? Entries : 1000;
        var historyMs = new List<double>();
        var sseMs = new List<double>();
        for (var run = 0; run <= options.ReplayRuns; run++)
        {
            var sw = Stopwatch.GetTimestamp();
            var got = 0;
            long since = 0;
            var pages = 0;
            while (got < Entries)
            {
                var (s, b) = await api.GetAsync($"api/tasks/{taskId}/terminal/history?since={since}&limit={pageSize}", cancellationToken).ConfigureAwait(false);
                if (s != HttpStatusCode.OK)
                {
                    throw new BenchException($"replay: history answered {(int)s}: {ApiClient.Truncate(b)}");
                }

                pages++;
                using var doc = JsonDocument.Parse(b);
                got += doc.RootElement.GetProperty("entries").EnumerateArray().Count(e => e.GetProperty("stream").GetString() != "gap");
                since = doc.RootElement.GetProperty("nextSince").GetInt64();
                if (!doc.RootElement.GetProperty("hasMore").GetBoolean())
                {
                    break;
                }
            }

            var hMs = Stopwatch.GetElapsedTime(sw).TotalMilliseconds;

            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"api/tasks/{taskId}/terminal", UriKind.Relative));
            request.Headers.Add("Last-Event-ID", "0");
            var counter = await SseCounter.ReadAsync(api.Http, request, null, Entries, null, TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
            if (!counter.Done)
            {
                throw new BenchException($"replay: the SSE replay delivered only {counter.Events} entries in 60 s.");
            }

            var sMs = (counter.DoneAt - counter.SentAt) * 1000.0 / Stopwatch.Frequency;
            if (run == 0)
            {
                Console.WriteLine($"   replay warm-up: history {hMs:0.0} ms ({pages} pages, {got} entries), SSE {sMs:0.0} ms (not recorded)");
                continue;
            }

            historyMs.Add(hMs);
            sseMs.Add(sMs);
            Console.WriteLine($"   replay {run}/{options.ReplayRuns}: history {hMs:0.0} ms ({pages} pages), SSE to the {Entries}th entry {sMs:0.0} ms");
        }

        var h = Stats.FromMs(historyMs);
        var sse = Stats.FromMs(sseMs);
        var how = oneShot ? "1 request" : $"{Entries / pageSize} pages of {pageSize}";
        findings.Add($"replay 10k entries: history ({how}) p50", $"{Table.F(h.P50Ms, 1)} ms", $"< {Table.F(TargetMs, 0)} ms", h.P50Ms < TargetMs);
        findings.Add("replay 10k entries: SSE from Last-Event-ID 0 p50", $"{Table.F(sse.P50Ms, 1)} ms", $"< {Table.F(TargetMs, 0)} ms", sse.P50Ms < TargetMs);
        findings.Numbers["replay.history.p50Ms"] = h.P50Ms;
        findings.Numbers["replay.sse.p50Ms"] = sse.P50Ms;
        findings.Detail($"replay: history n={h.Count} p50 {Table.F(h.P50Ms, 1)} max {Table.F(h.MaxMs, 1)} ms; SSE n={sse.Count} p50 {Table.F(sse.P50Ms, 1)} max {Table.F(sse.MaxMs, 1)} ms");
    }

    private static async Task<int> CountHeldAsync(ApiClient api, string taskId, CancellationToken cancellationToken)
    {
        var count = 0;
        long since = 0;
        while (true)
        {
            using var doc = await api.GetJsonAsync($"api/tasks/{taskId}/terminal/history?since={since}&limit=1000", cancellationToken).ConfigureAwait(false);
            count += doc.RootElement.GetProperty("entries").EnumerateArray().Count(e => e.GetProperty("stream").GetString() != "gap");
            since = doc.RootElement.GetProperty("nextSince").GetInt64();
            if (!doc.RootElement.GetProperty("hasMore").GetBoolean())
            {
                return count;
            }
        }
    }
}
