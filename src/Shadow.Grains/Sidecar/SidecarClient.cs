using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Polly;
using Shadow.Sidecar.Contracts;
using Shadow.Sidecar.Contracts.Common;

namespace Shadow.Grains.Sidecar;

/// <summary>
/// The only code in Shadow that talks HTTP to a sidecar: one typed method per endpoint (the partial files
/// <c>SidecarClient.*.cs</c>), SSE streams as <see cref="IAsyncEnumerable{T}"/>, every exchange through the sidecar's
/// <see cref="SidecarResilience"/> pipeline (retries only for idempotent calls; one circuit breaker per sidecar).
/// </summary>
/// <remarks>
/// Failures surface as <see cref="SidecarProblemException"/> (the sidecar answered an error), <see cref="HttpRequestException"/>
/// (it could not be reached), <see cref="Polly.Timeout.TimeoutRejectedException"/> (an attempt timed out) or
/// <see cref="Polly.CircuitBreaker.BrokenCircuitException"/> (the sidecar's breaker is open; nothing was sent).
/// Get instances from <see cref="SidecarClientFactory"/>; the <see cref="HttpClient"/> must have an infinite
/// <see cref="HttpClient.Timeout"/>, since the pipeline owns every timeout.
/// </remarks>
public sealed partial class SidecarClient
{
    private readonly HttpClient _http;
    private readonly SidecarResilience _resilience;

    /// <param name="http">Shared HTTP client (no base address; one per process; infinite timeout).</param>
    /// <param name="endpoint">Which sidecar.</param>
    /// <param name="resilience">The pipeline of this sidecar (its one circuit breaker).</param>
    public SidecarClient(HttpClient http, SidecarEndpoint endpoint, SidecarResilience resilience)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(resilience);
        _http = http;
        Endpoint = endpoint;
        _resilience = resilience;
    }

    /// <summary>The sidecar this client talks to.</summary>
    public SidecarEndpoint Endpoint { get; }

    /// <summary>The sidecar's pipeline (e.g. to look at its <see cref="SidecarResilience.CircuitState"/>).</summary>
    public SidecarResilience Resilience => _resilience;

    /// <summary><c>GET /health</c>.</summary>
    public Task<HealthResponse> HealthAsync(CancellationToken cancellationToken = default) =>
        GetAsync(SidecarRoutes.Health, CommonJsonContext.Default.HealthResponse, cancellationToken);

    /// <summary><c>GET /status</c>.</summary>
    public Task<StatusResponse> StatusAsync(CancellationToken cancellationToken = default) =>
        GetAsync(SidecarRoutes.Status, CommonJsonContext.Default.StatusResponse, cancellationToken);

    /// <summary>GET a JSON resource (idempotent: retried).</summary>
    internal Task<T> GetAsync<T>(string pathAndQuery, JsonTypeInfo<T> responseType, CancellationToken cancellationToken) =>
        GetAsync(pathAndQuery, responseType, timeout: null, cancellationToken);

    /// <summary>GET a JSON resource (idempotent: retried), with its own attempt timeout.</summary>
    /// <param name="pathAndQuery">Route and query string (see <see cref="WithQuery"/>).</param>
    /// <param name="responseType">Source-generated metadata of the answer.</param>
    /// <param name="timeout">Timeout of each attempt; null for <see cref="SidecarClientOptions.AttemptTimeout"/>,
    /// <see cref="Timeout.InfiniteTimeSpan"/> for none.</param>
    /// <param name="cancellationToken">Bounds the whole call, retries included.</param>
    internal Task<T> GetAsync<T>(string pathAndQuery, JsonTypeInfo<T> responseType, TimeSpan? timeout, CancellationToken cancellationToken) =>
        SendAsync(static path => new HttpRequestMessage(HttpMethod.Get, path), pathAndQuery, responseType, idempotent: true, timeout, cancellationToken);

    /// <summary>POST a JSON body; retried only when <paramref name="idempotent"/>.</summary>
    internal Task<TResponse> PostAsync<TRequest, TResponse>(string path, TRequest body, JsonTypeInfo<TRequest> requestType,
        JsonTypeInfo<TResponse> responseType, bool idempotent, CancellationToken cancellationToken) =>
        PostAsync(path, body, requestType, responseType, idempotent, timeout: null, cancellationToken);

    /// <summary>POST a JSON body with its own attempt timeout (e.g. exec: the command's timeout plus a margin).</summary>
    /// <param name="path">The route.</param>
    /// <param name="body">The request record.</param>
    /// <param name="requestType">Source-generated metadata of the request.</param>
    /// <param name="responseType">Source-generated metadata of the answer.</param>
    /// <param name="idempotent">True only when running the call twice has the effect of running it once.</param>
    /// <param name="timeout">Timeout of each attempt; null for the default, <see cref="Timeout.InfiniteTimeSpan"/> for none.</param>
    /// <param name="cancellationToken">Bounds the whole call, retries included.</param>
    internal Task<TResponse> PostAsync<TRequest, TResponse>(string path, TRequest body, JsonTypeInfo<TRequest> requestType,
        JsonTypeInfo<TResponse> responseType, bool idempotent, TimeSpan? timeout, CancellationToken cancellationToken) =>
        SendAsync(
            state => new HttpRequestMessage(HttpMethod.Post, state.path) { Content = JsonContent.Create(state.body, state.requestType) },
            (path, body, requestType), responseType, idempotent, timeout, cancellationToken);

    /// <summary>POST without a body; retried only when <paramref name="idempotent"/>.</summary>
    internal Task<TResponse> PostAsync<TResponse>(string path, JsonTypeInfo<TResponse> responseType, bool idempotent, CancellationToken cancellationToken) =>
        PostAsync(path, responseType, idempotent, timeout: null, cancellationToken);

    /// <summary>POST without a body, with its own attempt timeout.</summary>
    internal Task<TResponse> PostAsync<TResponse>(string path, JsonTypeInfo<TResponse> responseType, bool idempotent, TimeSpan? timeout,
        CancellationToken cancellationToken) =>
        SendAsync(static p => new HttpRequestMessage(HttpMethod.Post, p), path, responseType, idempotent, timeout, cancellationToken);

    /// <summary>Builds <c>path?k=v&amp;…</c>, skipping null values, escaping the rest.</summary>
    internal static string WithQuery(string path, params (string Name, object? Value)[] query)
    {
        var parts = query
            .Where(q => q.Value is not null)
            .Select(q => $"{Uri.EscapeDataString(q.Name)}={Uri.EscapeDataString(FormatQueryValue(q.Value!))}")
            .ToArray();
        return parts.Length == 0 ? path : $"{path}?{string.Join('&', parts)}";
    }

    private static string FormatQueryValue(object value) => value switch
    {
        bool b => b ? "true" : "false",
        DateTimeOffset d => d.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
        TimeSpan t => t.ToString("c", System.Globalization.CultureInfo.InvariantCulture),
        _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty,
    };

    private async Task<TResponse> SendAsync<TState, TResponse>(Func<TState, HttpRequestMessage> createRequest, TState state,
        JsonTypeInfo<TResponse> responseType, bool idempotent, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        // The body is buffered inside the attempt (ResponseContentRead), so a connection cut mid-body is retried too.
        using var response = await ExecuteAsync(createRequest, state, HttpCompletionOption.ResponseContentRead, idempotent, timeout, cancellationToken)
            .ConfigureAwait(false);
        await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        var result = await response.Content.ReadFromJsonAsync(responseType, cancellationToken).ConfigureAwait(false);
        return result ?? throw new JsonException($"The sidecar answered {(int)response.StatusCode} with a null body where {typeof(TResponse).Name} was expected.");
    }

    /// <summary>One HTTP exchange through the pipeline; the caller owns (and disposes) the response, success or not.</summary>
    private async Task<HttpResponseMessage> ExecuteAsync<TState>(Func<TState, HttpRequestMessage> createRequest, TState state,
        HttpCompletionOption completion, bool idempotent, TimeSpan? timeout, CancellationToken cancellationToken, string? lastEventId = null)
    {
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(SidecarResilience.IdempotentKey, idempotent);
        if (timeout is { } attemptTimeout)
        {
            context.Properties.Set(SidecarResilience.AttemptTimeoutKey, attemptTimeout);
        }

        try
        {
            return await _resilience.Pipeline.ExecuteAsync(
                static async (ctx, s) =>
                {
                    // A fresh request per attempt: a sent HttpRequestMessage cannot be sent again.
                    using var request = s.createRequest(s.state);
                    if (s.lastEventId is not null)
                    {
                        request.Headers.TryAddWithoutValidation("Last-Event-ID", s.lastEventId);
                    }

                    if (s.completion == HttpCompletionOption.ResponseHeadersRead)
                    {
                        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
                    }

                    return await s.self.SendRawAsync(request, s.completion, ctx.CancellationToken).ConfigureAwait(false);
                },
                context,
                (self: this, createRequest, state, completion, lastEventId)).ConfigureAwait(false);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>Opens an SSE stream and yields its items as they arrive; <paramref name="lastEventId"/> asks for replay.</summary>
    /// <remarks>
    /// Opening is retried when the request is a GET (a POST stream, such as exec's, may have started a command and is
    /// opened once). A stream that breaks after it opened ends with the exception; resuming is then the caller's job:
    /// call again with the last <see cref="SseItem{T}.EventId"/> seen, or use the overload with <c>resumeOnBreak</c>.
    /// </remarks>
    internal IAsyncEnumerable<SseItem<T>> StreamAsync<T>(Func<HttpRequestMessage> createRequest, JsonTypeInfo<T> itemType,
        string? lastEventId, CancellationToken cancellationToken) =>
        StreamAsync(createRequest, itemType, lastEventId, resumeOnBreak: false, cancellationToken);

    /// <summary>
    /// Opens an SSE stream; with <paramref name="resumeOnBreak"/> a stream that breaks on a transient error (connection
    /// reset, response cut short) is re-opened with <c>Last-Event-ID</c> set to the last id seen, so the caller sees
    /// one uninterrupted sequence (the sidecar replays what it missed). Only GET streams can resume. Re-opening gives up
    /// after <see cref="SidecarClientOptions.MaxRetryAttempts"/> consecutive breaks without a new item; a stream the
    /// sidecar ends normally is not re-opened.
    /// </summary>
    internal IAsyncEnumerable<SseItem<T>> StreamAsync<T>(Func<HttpRequestMessage> createRequest, JsonTypeInfo<T> itemType,
        string? lastEventId, bool resumeOnBreak, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(itemType);
        return StreamAsync(createRequest, (_, data) => JsonSerializer.Deserialize(data, itemType)!, lastEventId, resumeOnBreak, cancellationToken);
    }

    /// <summary>
    /// The same, with a parser that sees each event's type (for streams whose events carry different payloads, such as
    /// exec's <c>start</c>/<c>stdout</c>/<c>exit</c>).
    /// </summary>
    internal async IAsyncEnumerable<SseItem<T>> StreamAsync<T>(Func<HttpRequestMessage> createRequest, SseItemParser<T> parse,
        string? lastEventId, bool resumeOnBreak, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(createRequest);
        ArgumentNullException.ThrowIfNull(parse);
        bool idempotent;
        using (var probe = createRequest())
        {
            idempotent = probe.Method == HttpMethod.Get || probe.Method == HttpMethod.Head;
        }

        if (resumeOnBreak && !idempotent)
        {
            throw new InvalidOperationException("Only GET streams can be resumed: re-sending a POST could repeat its effect.");
        }

        var breaksWithoutProgress = 0;
        while (true)
        {
            using var response = await ExecuteAsync(static create => create(), createRequest, HttpCompletionOption.ResponseHeadersRead,
                idempotent, timeout: null, cancellationToken, lastEventId).ConfigureAwait(false);
            await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
            var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            Exception? broken = null;
            await using (body.ConfigureAwait(false))
            {
                var parser = SseParser.Create(body, parse);
                var items = parser.EnumerateAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);
                await using (items.ConfigureAwait(false))
                {
                    while (true)
                    {
                        bool moved;
                        try
                        {
                            moved = await items.MoveNextAsync().ConfigureAwait(false);
                        }
                        catch (Exception e) when (resumeOnBreak && IsBrokenStream(e, cancellationToken))
                        {
                            broken = e;
                            break;
                        }

                        if (!moved)
                        {
                            yield break;
                        }

                        breaksWithoutProgress = 0;
                        lastEventId = string.IsNullOrEmpty(parser.LastEventId) ? lastEventId : parser.LastEventId;
                        // An event already buffered is not handed to a caller who cancelled.
                        cancellationToken.ThrowIfCancellationRequested();
                        yield return items.Current;
                    }
                }
            }

            if (++breaksWithoutProgress > _resilience.Options.MaxRetryAttempts)
            {
                throw new HttpRequestException(HttpRequestError.ResponseEnded,
                    $"The sidecar stream broke {breaksWithoutProgress} times in a row without a new event.", broken);
            }
        }
    }

    private static bool IsBrokenStream(Exception exception, CancellationToken cancellationToken) =>
        !cancellationToken.IsCancellationRequested && exception is IOException or HttpRequestException;

    private async Task<HttpResponseMessage> SendRawAsync(HttpRequestMessage request, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        request.RequestUri = new Uri(Endpoint.BaseAddress, request.RequestUri!);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Endpoint.Token);
        return await _http.SendAsync(request, completion, cancellationToken).ConfigureAwait(false);
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        ProblemResponse? problem = null;
        try
        {
            problem = await response.Content.ReadFromJsonAsync(CommonJsonContext.Default.ProblemResponse, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or IOException or HttpRequestException)
        {
            // Not problem+json (a proxy, or a crash mid-response): fall back to the status line.
        }

        problem ??= new ProblemResponse(null, response.ReasonPhrase, (int)response.StatusCode,
            $"The sidecar answered {(int)response.StatusCode} without a problem document.", null);
        throw new SidecarProblemException(response.StatusCode, problem);
    }

    /// <summary>Whether a status is worth retrying (408, 429, 5xx but 501/505).</summary>
    internal static bool IsTransient(HttpStatusCode status) => SidecarResilience.IsTransient(status);
}
