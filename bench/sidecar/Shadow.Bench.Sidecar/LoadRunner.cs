using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Shadow.Bench.Sidecar;

/// <summary>Measures one scenario against one running sidecar: probe, warm-up, sequential latency, then concurrent throughput.</summary>
internal sealed class LoadRunner(Uri baseAddress, string token, BenchOptions options)
{
    /// <summary>A client with exactly one HTTP/1.1 keep-alive connection, so N clients are N connections.</summary>
    public HttpClient CreateClient()
    {
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            UseCookies = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            MaxConnectionsPerServer = 1,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            ConnectTimeout = TimeSpan.FromSeconds(5),
        };
        var client = new HttpClient(handler, disposeHandler: true)
        {
            BaseAddress = baseAddress,
            DefaultRequestVersion = HttpVersion.Version11,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Timeout = TimeSpan.FromSeconds(30),
        };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public async Task<ScenarioResult> RunAsync(Scenario scenario, CancellationToken cancellationToken)
    {
        using var client = CreateClient();

        // Probe: a missing route is reported, anything else that is not 2xx or not the right body stops the scenario.
        var (status, body) = await SendReadingBodyAsync(client, scenario, cancellationToken).ConfigureAwait(false);
        if (status == HttpStatusCode.NotFound && IsUnmappedRoute(scenario, body))
        {
            return ScenarioResult.Missing(scenario);
        }

        EnsureSuccess(scenario, status, body);
        CheckBody(scenario, body);

        var buffer = new byte[64 * 1024];
        for (var i = 0; i < options.Warmup; i++)
        {
            await SendAsync(client, scenario, buffer, cancellationToken).ConfigureAwait(false);
        }

        var samples = new long[options.Requests];
        for (var i = 0; i < samples.Length; i++)
        {
            var start = Stopwatch.GetTimestamp();
            await SendAsync(client, scenario, buffer, cancellationToken).ConfigureAwait(false);
            samples[i] = Stopwatch.GetTimestamp() - start;
        }

        // The body is still right after the load, not only before it.
        (status, body) = await SendReadingBodyAsync(client, scenario, cancellationToken).ConfigureAwait(false);
        EnsureSuccess(scenario, status, body);
        CheckBody(scenario, body);

        var concurrent = await RunConcurrentAsync(scenario, cancellationToken).ConfigureAwait(false);
        if (scenario.AfterCheck?.Invoke() is { } afterError)
        {
            throw new BenchException($"{scenario.Name}: {afterError}");
        }

        return ScenarioResult.Measured(scenario, (int)status, Stats.FromTicks(samples), concurrent);
    }

    private async Task<ConcurrentResult> RunConcurrentAsync(Scenario scenario, CancellationToken cancellationToken)
    {
        var clients = Enumerable.Range(0, options.Concurrency).Select(_ => CreateClient()).ToArray();
        try
        {
            // Open every connection before the clock starts.
            await Task.WhenAll(clients.Select(c => SendAsync(c, scenario, new byte[64 * 1024], cancellationToken))).ConfigureAwait(false);

            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var start = Stopwatch.GetTimestamp();
            var end = start + (long)(options.Duration.TotalSeconds * Stopwatch.Frequency);
            var workers = clients.Select(client => Task.Run(async () =>
            {
                var buffer = new byte[64 * 1024];
                var latencies = new List<long>(capacity: 1 << 16);
                try
                {
                    long now;
                    while ((now = Stopwatch.GetTimestamp()) < end)
                    {
                        await SendAsync(client, scenario, buffer, stop.Token).ConfigureAwait(false);
                        latencies.Add(Stopwatch.GetTimestamp() - now);
                    }

                    return (Latencies: latencies, Finished: Stopwatch.GetTimestamp());
                }
                catch
                {
                    await stop.CancelAsync().ConfigureAwait(false);
                    throw;
                }
            }, stop.Token)).ToArray();

            try
            {
                await Task.WhenAll(workers).ConfigureAwait(false);
            }
            catch (Exception) when (workers.Select(w => w.Exception?.InnerException).OfType<BenchException>().FirstOrDefault() is { } first)
            {
                throw first;
            }

            var finished = workers.Max(w => w.Result.Finished);
            var all = workers.SelectMany(w => w.Result.Latencies).ToArray();
            var seconds = (finished - start) / (double)Stopwatch.Frequency;
            return new ConcurrentResult(options.Concurrency, all.Length, seconds, all.Length / seconds, Stats.FromTicks(all));
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }
    }

    /// <summary>Sends one request and drains the body; throws on any status other than 2xx.</summary>
    private static async Task SendAsync(HttpClient client, Scenario scenario, byte[] buffer, CancellationToken cancellationToken)
    {
        using var request = scenario.CreateRequest();
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            EnsureSuccess(scenario, response.StatusCode, body);
        }

        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            while (await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false) > 0)
            {
            }
        }
    }

    private static async Task<(HttpStatusCode Status, string Body)> SendReadingBodyAsync(HttpClient client, Scenario scenario, CancellationToken cancellationToken)
    {
        using var request = scenario.CreateRequest();
        using var response = await client.SendAsync(request, cancellationToken).ConfigureAwait(false);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
    }

    private static void EnsureSuccess(Scenario scenario, HttpStatusCode status, string body)
    {
        if ((int)status is < 200 or > 299)
        {
            throw new BenchException($"{scenario.Name}: {scenario.Method} {scenario.PathAndQuery} answered {(int)status} {status}: {Scenario.Truncate(body)}");
        }
    }

    private static void CheckBody(Scenario scenario, string body)
    {
        if (scenario.Validate(body) is { } error)
        {
            throw new BenchException($"{scenario.Name}: wrong body: {error}");
        }
    }

    /// <summary>The sidecar's status-code page for an unmapped route says "<c>METHOD /path answered 404.</c>".</summary>
    private static bool IsUnmappedRoute(Scenario scenario, string body)
    {
        var path = scenario.PathAndQuery.Split('?')[0];
        try
        {
            using var doc = JsonDocument.Parse(body);
            return doc.RootElement.TryGetProperty("detail", out var detail)
                && detail.GetString() == $"{scenario.Method.Method} {path} answered 404.";
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
