using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Shadow.Bench.Gateway;

/// <summary>
/// The gateway's HTTP API as the bench uses it. Bodies are raw camelCase JSON, so the bench does not depend on the
/// names of the gateway's contract records. Each instance is one keep-alive HTTP/1.1 connection.
/// </summary>
internal sealed class ApiClient : IDisposable
{
    public const string ReadPath = "data/read-4k.txt";

    private readonly HttpClient _http;

    public ApiClient(Uri baseAddress, string bearer, int connections = 1, TimeSpan? timeout = null)
    {
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            UseCookies = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            MaxConnectionsPerServer = connections,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            ConnectTimeout = TimeSpan.FromSeconds(5),
        };
        _http = new HttpClient(handler, disposeHandler: true)
        {
            BaseAddress = baseAddress,
            DefaultRequestVersion = HttpVersion.Version11,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Timeout = timeout ?? TimeSpan.FromSeconds(60),
        };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
    }

    public HttpClient Http => _http;

    public static string Json(params (string Name, object? Value)[] members) =>
        "{" + string.Join(",", members.Where(m => m.Value is not null).Select(m => JsonSerializer.Serialize(m.Name) + ":" + m.Value switch
        {
            string s => JsonSerializer.Serialize(s),
            int i => i.ToString(System.Globalization.CultureInfo.InvariantCulture),
            _ => throw new ArgumentException($"Unsupported JSON member type {m.Value!.GetType()}."),
        })) + "}";

    /// <summary><c>POST /api/tasks</c>; answers the new task's id. Anything but 201 throws.</summary>
    public async Task<string> CreateTaskAsync(string repoUrl, string prompt, CancellationToken cancellationToken)
    {
        using var content = new StringContent(Json(("repoUrl", repoUrl), ("prompt", prompt)), Encoding.UTF8, "application/json");
        using var response = await _http.PostAsync(new Uri("api/tasks", UriKind.Relative), content, cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw new BenchException($"POST /api/tasks answered {(int)response.StatusCode}: {Truncate(body)}");
        }

        using var doc = JsonDocument.Parse(body);
        return doc.RootElement.GetProperty("id").GetString() ?? throw new BenchException($"POST /api/tasks answered no id: {Truncate(body)}");
    }

    /// <summary><c>GET …/workspace/files/read?path=</c>: the status and the body.</summary>
    public async Task<(HttpStatusCode Status, string Body)> ReadFileAsync(string taskId, string path, CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync(ReadUri(taskId, path), cancellationToken).ConfigureAwait(false);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
    }

    public static Uri ReadUri(string taskId, string path) =>
        new($"api/tasks/{taskId}/workspace/files/read?path={Uri.EscapeDataString(path)}", UriKind.Relative);

    public async Task<JsonDocument> GetJsonAsync(string relative, CancellationToken cancellationToken)
    {
        var (status, body) = await GetAsync(relative, cancellationToken).ConfigureAwait(false);
        return status == HttpStatusCode.OK ? JsonDocument.Parse(body) : throw new BenchException($"GET /{relative} answered {(int)status}: {Truncate(body)}");
    }

    public async Task<(HttpStatusCode Status, string Body)> GetAsync(string relative, CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync(new Uri(relative, UriKind.Relative), cancellationToken).ConfigureAwait(false);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
    }

    public async Task<string> PostJsonAsync(string relative, string json, CancellationToken cancellationToken)
    {
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await _http.PostAsync(new Uri(relative, UriKind.Relative), content, cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        return response.IsSuccessStatusCode ? body : throw new BenchException($"POST /{relative} answered {(int)response.StatusCode}: {Truncate(body)}");
    }

    public void Dispose() => _http.Dispose();

    public static string Truncate(string text) => text.Length <= 400 ? text : text[..400] + "…";
}
