using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Shadow.Kubernetes.Simulation;

/// <summary>
/// A SIMULATION of kube-apiserver for tests and benchmarks: real HTTP (Kestrel on 127.0.0.1), bearer-token authentication, the
/// REST paths Shadow's runtime uses (pods, secrets, configmaps, networkpolicies: create, get, list, delete, and watch as a
/// real chunked stream of newline-separated JSON events with resourceVersions, resumable, 410 Expired after compaction), and
/// Kubernetes <c>Status</c> errors. Not simulated: TLS, admission, RBAC, PATCH/PUT, set-based selectors, bookmarks.
/// </summary>
public sealed class SimulatedApiServer : IAsyncDisposable
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false };
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, int> _requests = new(StringComparer.Ordinal);

    private SimulatedApiServer(WebApplication app, ObjectStore store, string token, Uri address)
    {
        _app = app;
        Store = store;
        Token = token;
        Address = address;
    }

    /// <summary>The objects.</summary>
    public ObjectStore Store { get; }

    /// <summary>The bearer token every request must carry.</summary>
    public string Token { get; }

    /// <summary>E.g. <c>http://127.0.0.1:41234</c>.</summary>
    public Uri Address { get; }

    /// <summary>Requests served so far by <c>VERB resource</c> (e.g. <c>GET pods</c>, <c>WATCH pods</c>).</summary>
    public IReadOnlyDictionary<string, int> Requests => _requests;

    public static async Task<SimulatedApiServer> StartAsync(ObjectStore store, CancellationToken cancellationToken = default)
    {
        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        SimulatedApiServer? server = null;
        app.Use(async (context, next) =>
        {
            try
            {
                if (context.Request.Headers.Authorization.ToString() != "Bearer " + token)
                {
                    throw new ApiException(401, "Unauthorized", "Unauthorized");
                }

                await next(context);
            }
            catch (ApiException e) when (!context.Response.HasStarted)
            {
                await WriteStatusAsync(context.Response, e);
            }
            catch (JsonException e) when (!context.Response.HasStarted)
            {
                await WriteStatusAsync(context.Response, new ApiException(400, "BadRequest", $"the body is not a valid object: {e.Message}"));
            }
        });
        void Map(string prefix)
        {
            app.MapGet(prefix + "/namespaces/{ns}/{resource}", (HttpContext c, string ns, string resource) => server!.ListOrWatchAsync(c, Group(c), Version(c), ns, resource));
            app.MapPost(prefix + "/namespaces/{ns}/{resource}", (HttpContext c, string ns, string resource) => server!.CreateAsync(c, Group(c), Version(c), ns, resource));
            app.MapGet(prefix + "/namespaces/{ns}/{resource}/{name}", (HttpContext c, string ns, string resource, string name) => server!.GetAsync(c, Group(c), Version(c), ns, resource, name));
            app.MapDelete(prefix + "/namespaces/{ns}/{resource}/{name}", (HttpContext c, string ns, string resource, string name) => server!.DeleteAsync(c, Group(c), Version(c), ns, resource, name));
        }

        Map("/api/{version}");
        Map("/apis/{group}/{version}");
        app.MapFallback((HttpContext c) => throw new ApiException(404, "NotFound", $"the server could not find the requested resource {c.Request.Path}"));
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server = new SimulatedApiServer(app, store, token, new Uri(address.TrimEnd('/')));
        return server;
    }

    /// <summary>Writes a kubeconfig that points the real KubernetesClient at this server (plain HTTP, bearer token).</summary>
    public string WriteKubeconfig(string path, string @namespace)
    {
        var text = $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: shadow-simulation
              cluster:
                server: {Address}
            users:
            - name: shadow-simulation
              user:
                token: {Token}
            contexts:
            - name: shadow-simulation
              context:
                cluster: shadow-simulation
                user: shadow-simulation
                namespace: {@namespace}
            current-context: shadow-simulation

            """;
        File.WriteAllText(path, text);
        return path;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private static string Group(HttpContext c) => c.GetRouteValue("group") as string ?? "";

    private static string Version(HttpContext c) => (string)c.GetRouteValue("version")!;

    private void Count(string verb, string resource) => _requests.AddOrUpdate($"{verb} {resource}", 1, static (_, n) => n + 1);

    private async Task CreateAsync(HttpContext context, string group, string version, string ns, string resource)
    {
        var type = ResourceTypes.Resolve(group, version, resource);
        Count("POST", resource);
        var body = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted) as JsonObject
            ?? throw new ApiException(400, "BadRequest", "the body must be a JSON object");
        if ((string?)body["kind"] is { } kind && kind != type.Kind)
        {
            throw new ApiException(400, "BadRequest", $"the body's kind {kind} does not match the resource {resource}");
        }

        body["kind"] = type.Kind;
        body["apiVersion"] = type.ApiVersion;
        var created = Store.Create(resource, ns, body);
        await WriteAsync(context.Response, 201, created);
    }

    private async Task GetAsync(HttpContext context, string group, string version, string ns, string resource, string name)
    {
        ResourceTypes.Resolve(group, version, resource);
        Count("GET", resource);
        await WriteAsync(context.Response, 200, Store.Get(resource, ns, name));
    }

    private async Task DeleteAsync(HttpContext context, string group, string version, string ns, string resource, string name)
    {
        var type = ResourceTypes.Resolve(group, version, resource);
        Count("DELETE", resource);
        if (resource == "pods")
        {
            // Graceful: the pod is marked; the kubelet stops its containers and then removes it (DELETED).
            var current = Store.Get(resource, ns, name);
            if (current["metadata"]?["deletionTimestamp"] is not null)
            {
                await WriteAsync(context.Response, 200, current);
                return;
            }

            var grace = (int?)current["spec"]?["terminationGracePeriodSeconds"] ?? 30;
            var marked = Store.Update(resource, ns, name, o =>
            {
                o["metadata"]!["deletionTimestamp"] = ObjectStore.Now();
                o["metadata"]!["deletionGracePeriodSeconds"] = grace;
            }) ?? throw ObjectStore.NotFound(resource, name);
            await WriteAsync(context.Response, 200, marked);
            return;
        }

        var removed = Store.Remove(resource, ns, name);
        await WriteAsync(context.Response, 200, new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Success",
            ["details"] = new JsonObject { ["name"] = name, ["kind"] = resource, ["uid"] = removed["metadata"]?["uid"]?.DeepClone() },
        });
        _ = type;
    }

    private async Task ListOrWatchAsync(HttpContext context, string group, string version, string ns, string resource)
    {
        var type = ResourceTypes.Resolve(group, version, resource);
        var query = context.Request.Query;
        var filter = Selectors.Parse(query["labelSelector"], query["fieldSelector"]);
        if (query["watch"] is { Count: > 0 } watch && watch[0] is "true" or "1")
        {
            Count("WATCH", resource);
            await WatchAsync(context, ns, resource, filter);
            return;
        }

        Count("LIST", resource);
        var (items, listVersion) = Store.List(resource, ns, filter);
        var array = new JsonArray();
        foreach (var item in items)
        {
            array.Add(item);
        }

        await WriteAsync(context.Response, 200, new JsonObject
        {
            ["kind"] = type.Kind + "List",
            ["apiVersion"] = type.ApiVersion,
            ["metadata"] = new JsonObject { ["resourceVersion"] = listVersion.ToString(CultureInfo.InvariantCulture) },
            ["items"] = array,
        });
    }

    private async Task WatchAsync(HttpContext context, string ns, string resource, Func<JsonObject, bool> filter)
    {
        var query = context.Request.Query;
        long? after = null;
        if (query["resourceVersion"].ToString() is { Length: > 0 } rv && rv != "0")
        {
            after = long.TryParse(rv, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed)
                ? parsed
                : throw new ApiException(400, "BadRequest", $"invalid resourceVersion '{rv}'");
        }

        using var lifetime = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        if (query["timeoutSeconds"].ToString() is { Length: > 0 } ts && int.TryParse(ts, CultureInfo.InvariantCulture, out var seconds) && seconds > 0)
        {
            lifetime.CancelAfter(TimeSpan.FromSeconds(seconds));
        }

        var channel = Channel.CreateUnbounded<StoredEvent>(new UnboundedChannelOptions { SingleReader = true });
        var (backlog, subscription) = Store.Subscribe(after, e =>
        {
            if (e.Key.Resource == resource && e.Key.Namespace == ns)
            {
                channel.Writer.TryWrite(e);
            }
        });
        using var _ = subscription;
        var response = context.Response;
        response.StatusCode = 200;
        response.ContentType = "application/json";
        await response.StartAsync(context.RequestAborted);
        if (backlog is null)
        {
            await WriteLineAsync(response, new JsonObject
            {
                ["type"] = "ERROR",
                ["object"] = StatusObject(new ApiException(410, "Expired", $"too old resource version: {after} ({Store.OldestResumable})")),
            }, context.RequestAborted);
            return;
        }

        long sentUpTo = after ?? 0;
        if (after is null)
        {
            // No version: the current state first, as synthetic ADDED events.
            var (items, listVersion) = Store.List(resource, ns, filter);
            foreach (var item in items)
            {
                await WriteLineAsync(response, new JsonObject { ["type"] = "ADDED", ["object"] = item }, context.RequestAborted);
            }

            sentUpTo = listVersion;
        }

        foreach (var e in backlog.Where(e => e.Key.Resource == resource && e.Key.Namespace == ns))
        {
            await SendAsync(e);
        }

        try
        {
            await foreach (var e in channel.Reader.ReadAllAsync(lifetime.Token))
            {
                await SendAsync(e);
            }
        }
        catch (OperationCanceledException)
        {
            // timeoutSeconds ran out, or the client went away: the stream ends, as the real server ends it.
        }

        async Task SendAsync(StoredEvent e)
        {
            if (e.ResourceVersion <= sentUpTo || !filter(e.Object))
            {
                return;
            }

            sentUpTo = e.ResourceVersion;
            await WriteLineAsync(response, new JsonObject { ["type"] = e.Type, ["object"] = e.Object.DeepClone() }, lifetime.Token);
        }
    }

    private static async Task WriteLineAsync(HttpResponse response, JsonObject line, CancellationToken cancellationToken)
    {
        var bytes = Encoding.UTF8.GetBytes(line.ToJsonString(Json) + "\n");
        await response.Body.WriteAsync(bytes, cancellationToken);
        await response.Body.FlushAsync(cancellationToken);
    }

    private static async Task WriteAsync(HttpResponse response, int status, JsonObject body)
    {
        response.StatusCode = status;
        response.ContentType = "application/json";
        await response.WriteAsync(body.ToJsonString(Json));
    }

    private static Task WriteStatusAsync(HttpResponse response, ApiException e) => WriteAsync(response, e.Code, StatusObject(e));

    private static JsonObject StatusObject(ApiException e) => new()
    {
        ["kind"] = "Status",
        ["apiVersion"] = "v1",
        ["metadata"] = new JsonObject(),
        ["status"] = "Failure",
        ["message"] = e.Message,
        ["reason"] = e.Reason,
        ["code"] = e.Code,
    };
}
