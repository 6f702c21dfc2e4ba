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
/// <c>SidecarClient.*.cs</c>), SSE streams as <see cref="IAsyncEnumerable{T}"/>, every call through a Polly pipeline
/// (retries only for idempotent calls).
/// </summary>
public sealed partial class SidecarClient
{
    private readonly HttpClient _http;
    private readonly SidecarResilience _resilience;

    /// <param name="http">Shared HTTP client (no base address; one per process is enough).</param>
    /// <param name="endpoint">Which sidecar.</param>
    /// <param name="resilience">The pipelines for this sidecar (its own circuit breaker).</param>
    public SidecarClient(HttpClient http, SidecarEndpoint endpoint, SidecarResilience resilience)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(resilience);
        _http = http;
        Endpoint = endpoint;
        _resilience = resilience;
    }

    public SidecarEndpoint Endpoint { get; }

    /// <summary><c>GET /health</c>.</summary>
    public Task<HealthResponse> HealthAsync(CancellationToken cancellationToken = default) =>
        GetAsync(SidecarRoutes.Health, CommonJsonContext.Default.HealthResponse, cancellationToken);

    /// <summary><c>GET /status</c>.</summary>
    public Task<StatusResponse> StatusAsync(CancellationToken cancellationToken = default) =>
        GetAsync(SidecarRoutes.Status, CommonJsonContext.Default.StatusResponse, cancellationToken);

    /// <summary>GET a JSON resource (idempotent: retried).</summary>
    internal Task<T> GetAsync<T>(string pathAndQuery, JsonTypeInfo<T> responseType, CancellationToken cancellationToken) =>
        SendAsync(() => new HttpRequestMessage(HttpMethod.Get, pathAndQuery), responseType, idempotent: true, cancellationToken);

    /// <summary>POST a JSON body; retried only when <paramref name="idempotent"/>.</summary>
    internal Task<TResponse> PostAsync<TRequest, TResponse>(string path, TRequest body, JsonTypeInfo<TRequest> requestType,
        JsonTypeInfo<TResponse> responseType, bool idempotent, CancellationToken cancellationToken) =>
        SendAsync(() => new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent(body, requestType) }, responseType, idempotent, cancellationToken);

    /// <summary>POST without a body; retried only when <paramref name="idempotent"/>.</summary>
    internal Task<TResponse> PostAsync<TResponse>(string path, JsonTypeInfo<TResponse> responseType, bool idempotent, CancellationToken cancellationToken) =>
        SendAsync(() => new HttpRequestMessage(HttpMethod.Post, path), responseType, idempotent, cancellationToken);

    /// <summary>Builds <c>path?k=v&amp;…</c>, skipping null values, escaping the rest.</summary>
    internal static string WithQuery(string path, params (string Name, object? Value)[] query)
    {
        var parts = query
            .Where(q => q.Value is not null)
            .Select(q => $"{q.Name}={Uri.EscapeDataString(Convert.ToString(q.Value, System.Globalization.CultureInfo.InvariantCulture)!)}")
            .ToArray();
        return parts.Length == 0 ? path : $"{path}?{string.Join('&', parts)}";
    }

    /// <summary>POST a JSON body with its own attempt timeout (a long command); retried only when <paramref name="idempotent"/>.</summary>
    internal Task<TResponse> PostAsync<TRequest, TResponse>(string path, TRequest body, JsonTypeInfo<TRequest> requestType,
        JsonTypeInfo<TResponse> responseType, bool idempotent, TimeSpan attemptTimeout, CancellationToken cancellationToken) =>
        SendAsync(() => new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent(body, requestType) }, responseType, idempotent,
            cancellationToken, attemptTimeout);

    private async Task<TResponse> SendAsync<TResponse>(Func<HttpRequestMessage> createRequest, JsonTypeInfo<TResponse> responseType,
        bool idempotent, CancellationToken cancellationToken, TimeSpan? attemptTimeout = null)
    {
        var pipeline = idempotent ? _resilience.Idempotent : _resilience.NonIdempotent;
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        if (attemptTimeout is { } timeout)
        {
            context.Properties.Set(SidecarResilience.AttemptTimeoutKey, timeout);
        }

        try
        {
            return await pipeline.ExecuteAsync(
                static async (ctx, state) =>
                {
                    var ct = ctx.CancellationToken;
                    using var request = state.createRequest();
                    using var response = await state.self.SendRawAsync(request, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
                    await EnsureSuccessAsync(response, ct).ConfigureAwait(false);
                    var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
                    await using (stream.ConfigureAwait(false))
                    {
                        return (await JsonSerializer.DeserializeAsync(stream, state.responseType, ct).ConfigureAwait(false))!;
                    }
                },
                context,
                (self: this, createRequest, responseType)).ConfigureAwait(false);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>Opens an SSE stream and yields its items as they arrive; <paramref name="lastEventId"/> asks for replay.</summary>
    internal IAsyncEnumerable<SseItem<T>> StreamAsync<T>(Func<HttpRequestMessage> createRequest, JsonTypeInfo<T> itemType,
        string? lastEventId, CancellationToken cancellationToken) =>
        StreamAsync(createRequest, (_, data) => JsonSerializer.Deserialize(data, itemType)!, lastEventId, idempotent: true, cancellationToken);

    /// <summary>Opens an SSE stream whose items <paramref name="parse"/> builds from (event type, data); opening is retried only when <paramref name="idempotent"/>.</summary>
    internal async IAsyncEnumerable<SseItem<T>> StreamAsync<T>(Func<HttpRequestMessage> createRequest, SseItemParser<T> parse,
        string? lastEventId, bool idempotent, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Opening an idempotent stream is retried like any idempotent call; once items flow, the caller resumes with Last-Event-ID.
        var response = await (idempotent ? _resilience.Idempotent : _resilience.NonIdempotent).ExecuteAsync(
            static async (state, ct) =>
            {
                var request = state.createRequest();
                if (state.lastEventId is not null)
                {
                    request.Headers.TryAddWithoutValidation("Last-Event-ID", state.lastEventId);
                }

                request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
                var response = await state.self.SendRawAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
                try
                {
                    await EnsureSuccessAsync(response, ct).ConfigureAwait(false);
                    return response;
                }
                catch
                {
                    response.Dispose();
                    throw;
                }
            },
            (self: this, createRequest, lastEventId),
            cancellationToken).ConfigureAwait(false);

        using (response)
        {
            var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (body.ConfigureAwait(false))
            {
                var parser = SseParser.Create(body, parse);
                await foreach (var item in parser.EnumerateAsync(cancellationToken).ConfigureAwait(false))
                {
                    yield return item;
                }
            }
        }
    }

    private async Task<HttpResponseMessage> SendRawAsync(HttpRequestMessage request, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        request.RequestUri = new Uri(Endpoint.BaseAddress, request.RequestUri!);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Endpoint.Token);
        return await _http.SendAsync(request, completion, cancellationToken).ConfigureAwait(false);
    }

    private static HttpContent JsonContent<T>(T body, JsonTypeInfo<T> type) =>
        System.Net.Http.Json.JsonContent.Create(body, type);

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
        catch (JsonException)
        {
            // Not problem+json (a proxy, or a crash mid-response): fall back to the status line.
        }

        problem ??= new ProblemResponse(null, response.ReasonPhrase, (int)response.StatusCode, $"The sidecar answered {(int)response.StatusCode} without a problem document.", null);
        throw new SidecarProblemException(response.StatusCode, problem);
    }

    internal static bool IsTransient(HttpStatusCode status) =>
        status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests or HttpStatusCode.BadGateway
            or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout or HttpStatusCode.InternalServerError;
}
