using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Shadow.Kubernetes.Simulation;
using Shadow.Testing;
using Shouldly;

namespace Shadow.Grains.Tests.Runtime.Kubernetes;

/// <summary>The simulated API server speaks the protocol the real one does (what the runtime's tests rely on), over raw HTTP.</summary>
public sealed class SimulatedApiServerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Requests_NeedTheToken_AndErrorsAreKubernetesStatusObjects()
    {
        var store = new ObjectStore();
        await using var api = await SimulatedApiServer.StartAsync(store, Ct);
        using var anonymous = new HttpClient { BaseAddress = api.Address };
        using var http = Client(api);

        (await anonymous.GetAsync(new Uri("/api/v1/namespaces/ns/pods", UriKind.Relative), Ct)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        var missing = await http.GetAsync(new Uri("/api/v1/namespaces/ns/pods/nope", UriKind.Relative), Ct);
        missing.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        var status = JsonNode.Parse(await missing.Content.ReadAsStringAsync(Ct))!;
        ((string)status["kind"]!).ShouldBe("Status");
        ((string)status["reason"]!).ShouldBe("NotFound");
        ((int)status["code"]!).ShouldBe(404);

        (await PostAsync(http, "/api/v1/namespaces/ns/secrets", """{"metadata":{"name":"s1"},"stringData":{"k":"v"}}""")).StatusCode.ShouldBe(HttpStatusCode.Created);
        var again = await PostAsync(http, "/api/v1/namespaces/ns/secrets", """{"metadata":{"name":"s1"}}""");
        again.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        ((string)JsonNode.Parse(await again.Content.ReadAsStringAsync(Ct))!["reason"]!).ShouldBe("AlreadyExists");
        (await PostAsync(http, "/api/v1/namespaces/ns/secrets", """{"metadata":{"name":"Bad_Name"}}""")).StatusCode.ShouldBe((HttpStatusCode)422);
        (await PostAsync(http, "/api/v1/namespaces/ns/secrets", "not json")).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await http.GetAsync(new Uri("/api/v1/namespaces/ns/widgets", UriKind.Relative), Ct)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await http.GetAsync(new Uri("/api/v1/namespaces/ns/pods?fieldSelector=spec.secret%3Dx", UriKind.Relative), Ct)).StatusCode.ShouldBe(HttpStatusCode.BadRequest);

        // stringData became base64 data, as the real server stores it.
        var secret = store.Get("secrets", "ns", "s1");
        ((string)secret["data"]!["k"]!).ShouldBe(Convert.ToBase64String("v"u8.ToArray()));
        secret["stringData"].ShouldBeNull();
    }

    [Fact]
    public async Task Watch_IsAChunkedStream_FromAVersionOnlyLaterEvents_WithoutOneTheCurrentStateFirst_AndACompactedVersionGets410()
    {
        var store = new ObjectStore();
        await using var api = await SimulatedApiServer.StartAsync(store, Ct);
        using var http = Client(api);
        var first = store.Create("pods", "ns", Pod("p1", "a"));
        var afterFirst = long.Parse((string)first["metadata"]!["resourceVersion"]!, System.Globalization.CultureInfo.InvariantCulture);
        store.Create("pods", "ns", Pod("p2", "b"));
        store.Create("pods", "other", Pod("p3", "a"));

        // From a version: only what happened after it, filtered by label; then live events as they happen.
        using var fromVersion = await OpenWatchAsync(http, $"/api/v1/namespaces/ns/pods?watch=true&resourceVersion={afterFirst}&labelSelector=team%3Db");
        fromVersion.Response.Headers.TransferEncodingChunked.ShouldBe(true);
        (await fromVersion.NextAsync()).ShouldBe(("ADDED", "p2"));
        store.Update("pods", "ns", "p1", p => p["status"]!["phase"] = "Running"); // filtered out (team=a)
        store.Update("pods", "ns", "p2", p => p["status"]!["phase"] = "Running");
        (await fromVersion.NextAsync()).ShouldBe(("MODIFIED", "p2"));
        store.Remove("pods", "ns", "p2");
        (await fromVersion.NextAsync()).ShouldBe(("DELETED", "p2"));

        // Without a version: the current state as ADDED events first.
        using var fresh = await OpenWatchAsync(http, "/api/v1/namespaces/ns/pods?watch=1");
        (await fresh.NextAsync()).ShouldBe(("ADDED", "p1"));

        // After compaction an old version is Expired: one ERROR event with a 410 Status, then the stream ends.
        store.Compact();
        store.Create("pods", "ns", Pod("p4", "a"));
        using var expired = await OpenWatchAsync(http, $"/api/v1/namespaces/ns/pods?watch=true&resourceVersion={afterFirst}");
        var line = JsonNode.Parse((await expired.Reader.ReadLineAsync(Ct))!)!;
        ((string)line["type"]!).ShouldBe("ERROR");
        ((int)line["object"]!["code"]!).ShouldBe(410);
        (await expired.Reader.ReadLineAsync(Ct)).ShouldBeNull();
    }

    private static JsonObject Pod(string name, string team) =>
        JsonNode.Parse($$$"""{"metadata":{"name":"{{{name}}}","labels":{"team":"{{{team}}}"}},"spec":{"containers":[]}}""")!.AsObject();

    private static HttpClient Client(SimulatedApiServer api)
    {
        var http = new HttpClient { BaseAddress = api.Address, Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", api.Token);
        return http;
    }

    private static Task<HttpResponseMessage> PostAsync(HttpClient http, string path, string body) =>
        http.PostAsync(new Uri(path, UriKind.Relative), new StringContent(body, Encoding.UTF8, "application/json"), Ct);

    private static async Task<WatchStream> OpenWatchAsync(HttpClient http, string path)
    {
        var response = await http.GetAsync(new Uri(path, UriKind.Relative), HttpCompletionOption.ResponseHeadersRead, Ct);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        return new WatchStream(response, new StreamReader(await response.Content.ReadAsStreamAsync(Ct)));
    }

    private sealed record WatchStream(HttpResponseMessage Response, StreamReader Reader) : IDisposable
    {
        public async Task<(string Type, string Name)> NextAsync()
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            var line = JsonNode.Parse((await Reader.ReadLineAsync(timeout.Token))!)!;
            return ((string)line["type"]!, (string)line["object"]!["metadata"]!["name"]!);
        }

        public void Dispose()
        {
            Reader.Dispose();
            Response.Dispose();
        }
    }
}
