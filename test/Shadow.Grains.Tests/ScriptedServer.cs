using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Shadow.Grains.Sidecar;

namespace Shadow.Grains.Tests;

/// <summary>
/// A protocol fixture, not a sidecar: a tiny Kestrel server on 127.0.0.1:0 whose answers a test scripts per path
/// (one step per request, the last step repeating). It produces what a healthy sidecar never does on cue: 503 with
/// <c>Retry-After</c>, an SSE stream cut mid-way, a stream that replays from <c>Last-Event-ID</c>.
/// </summary>
public sealed class ScriptedServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, Script> _scripts = new(StringComparer.Ordinal);

    private ScriptedServer(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public string Token { get; } = "scripted-token";

    public SidecarEndpoint Endpoint => new(BaseAddress, Token);

    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    public int CountOf(string path) => Requests.Count(r => r.Path == path);

    public static async Task<ScriptedServer> StartAsync(CancellationToken cancellationToken)
    {
        ScriptedServer? server = null;
        var (app, address) = await LoopbackHttp.StartAsync(context => server!.HandleAsync(context), cancellationToken);
        server = new ScriptedServer(app, new Uri(address + "/"));
        return server;
    }

    /// <summary>Requests to <paramref name="path"/> get <paramref name="steps"/> in order; the last one repeats.</summary>
    public void On(string path, params Func<HttpContext, Task>[] steps) => _scripts[path] = new Script(steps);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        Requests.Enqueue(new RecordedRequest(request.Method, request.Path.Value ?? "", request.Headers["Last-Event-ID"].ToString(),
            request.Headers.Authorization.ToString()));
        return _scripts.TryGetValue(request.Path.Value ?? "", out var script)
            ? script.Next()(context)
            : Problem(StatusCodes.Status404NotFound)(context);
    }

    /// <summary>A problem+json answer, optionally with <c>Retry-After: seconds</c>.</summary>
    public static Func<HttpContext, Task> Problem(int status, int? retryAfterSeconds = null) => context =>
    {
        context.Response.StatusCode = status;
        if (retryAfterSeconds is { } seconds)
        {
            context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        }

        context.Response.ContentType = "application/problem+json";
        return context.Response.WriteAsync($$"""{"title":"scripted","status":{{status}},"detail":"scripted {{status}}"}""");
    };

    /// <summary>200 with a JSON body.</summary>
    public static Func<HttpContext, Task> Json(string json) => context =>
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(json);
    };

    /// <summary>
    /// An SSE stream of <see cref="TestEvent"/>s with ids 1..<paramref name="total"/>, starting after the request's
    /// <c>Last-Event-ID</c>; with <paramref name="abortAfter"/> the connection is cut after that many events; each event
    /// waits <paramref name="delayMilliseconds"/> first.
    /// </summary>
    public static Func<HttpContext, Task> Events(int total, int? abortAfter = null, int delayMilliseconds = 0) => async context =>
    {
        var from = int.TryParse(context.Request.Headers["Last-Event-ID"].ToString(), CultureInfo.InvariantCulture, out var last) ? last + 1 : 1;
        context.Response.ContentType = "text/event-stream";
        await context.Response.StartAsync(context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
        var sent = 0;
        for (var n = from; n <= total; n++)
        {
            if (abortAfter is { } limit && sent == limit)
            {
                // Let what was flushed leave the socket first: Kestrel's abort drops output still buffered.
                await Task.Delay(200, context.RequestAborted);
                context.Abort();
                return;
            }

            if (delayMilliseconds > 0)
            {
                await Task.Delay(delayMilliseconds, context.RequestAborted);
            }

            var type = n % 2 == 0 ? "even" : "odd";
            await context.Response.WriteAsync($"id: {n}\nevent: {type}\ndata: {{\"n\":{n},\"text\":\"line {n}\"}}\n\n", context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
            sent++;
        }
    };

    private sealed class Script(Func<HttpContext, Task>[] steps)
    {
        private int _next;

        public Func<HttpContext, Task> Next() => steps[Math.Min(Interlocked.Increment(ref _next) - 1, steps.Length - 1)];
    }
}

/// <summary>What the scripted server saw.</summary>
public sealed record RecordedRequest(string Method, string Path, string LastEventId, string Authorization);

/// <summary>The item type of the scripted SSE streams.</summary>
public sealed record TestEvent(int N, string Text);

[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(TestEvent))]
internal sealed partial class TestJsonContext : JsonSerializerContext;
