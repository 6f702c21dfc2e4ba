using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Shadow.Grains.Tests.Agent;

/// <summary>
/// A scriptable model: an OpenAI chat-completions server of our own (Kestrel on 127.0.0.1:0, streamed SSE answers) whose every
/// answer comes from <see cref="Responder"/>, so a test decides per request: text, tool calls, an HTTP error, garbage, a stream
/// cut short, or a hang until released.
/// </summary>
public sealed class ModelServer : IAsyncDisposable
{
    public const string Model = "test-model";

    private readonly WebApplication _app;

    private ModelServer(WebApplication app, Uri baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    /// <summary>The API root to configure (<c>http://127.0.0.1:port/v1</c>).</summary>
    public Uri BaseUrl { get; }

    /// <summary>Answers a request. Default: a text answer "Done.".</summary>
    public Func<ModelRequest, Task<ModelReply>> Responder { get; set; } = _ => Task.FromResult<ModelReply>(new ModelReply.Text("Done."));

    public ConcurrentQueue<ModelRequest> Requests { get; } = new();

    /// <summary>The settings that point Shadow's agent at this server.</summary>
    public Dictionary<string, string?> Settings(string apiKey = "sk-test-key") => new()
    {
        ["Shadow:Agent:Provider"] = "OpenAI",
        ["Shadow:Agent:BaseUrl"] = BaseUrl.ToString(),
        ["Shadow:Agent:Model"] = Model,
        ["Shadow:Agent:ApiKey"] = apiKey,
        ["Shadow:Agent:MaxRetries"] = "2",
        ["Shadow:Agent:RetryBaseDelay"] = "00:00:00.020",
        ["Shadow:Agent:Prices:test-model:InputPerMillionTokens"] = "1000",
        ["Shadow:Agent:Prices:test-model:OutputPerMillionTokens"] = "2000",
    };

    public static async Task<ModelServer> StartAsync(CancellationToken cancellationToken)
    {
        ModelServer? server = null;
        var (app, address) = await LoopbackHttp.StartAsync(context => server!.HandleAsync(context), cancellationToken);
        server = new ModelServer(app, new Uri(address + "/v1"));
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        if (context.Request.Method != HttpMethods.Post || context.Request.Path != "/v1/chat/completions")
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        using var body = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
        var request = new ModelRequest(body.RootElement.Clone(), context.Request.Headers.Authorization.ToString());
        Requests.Enqueue(request);
        var reply = await Responder(request);
        var ct = context.RequestAborted;
        switch (reply)
        {
            case ModelReply.Status status:
                context.Response.StatusCode = status.Code;
                await context.Response.WriteAsJsonAsync(new { error = new { message = $"the model fell over ({status.Code})", type = "server_error" } }, ct);
                return;
            case ModelReply.Hang hang:
                await hang.Release.Task.WaitAsync(ct);
                reply = hang.Then;
                break;
        }

        if (!request.Stream)
        {
            await PlainAsync(context, reply);
            return;
        }

        context.Response.ContentType = "text/event-stream";
        switch (reply)
        {
            case ModelReply.Text text:
                await ChunkAsync(context, new { role = "assistant", content = "" }, null);
                var half = text.Content.Length / 2;
                await ChunkAsync(context, new { content = text.Content[..half] }, null);
                await ChunkAsync(context, new { content = text.Content[half..] }, null);
                await ChunkAsync(context, new { }, "stop");
                break;
            case ModelReply.Tools tools:
                // Each call's arguments arrive in two pieces, as real servers split them.
                await ChunkAsync(context, new
                {
                    role = "assistant",
                    tool_calls = tools.Calls.Select((c, i) => new { index = i, id = c.Id, type = "function", function = new { name = c.Name, arguments = c.Arguments[..(c.Arguments.Length / 2)] } }).ToArray(),
                }, null);
                await ChunkAsync(context, new
                {
                    tool_calls = tools.Calls.Select((c, i) => new { index = i, function = new { arguments = c.Arguments[(c.Arguments.Length / 2)..] } }).ToArray(),
                }, null);
                await ChunkAsync(context, new { }, "tool_calls");
                break;
            case ModelReply.Garbage:
                await context.Response.WriteAsync("data: {\"id\": \"chatcmpl-x\", \"choices\": [ {{{ not json\n\n", ct);
                return;
            case ModelReply.Empty:
                await ChunkAsync(context, new { role = "assistant", content = "" }, null);
                await ChunkAsync(context, new { }, "stop");
                break;
            case ModelReply.Truncated truncated:
                await ChunkAsync(context, new { role = "assistant", content = truncated.Partial }, null);
                // The connection ends here: no finish reason, no [DONE].
                return;
            default:
                throw new InvalidOperationException($"Unknown reply {reply}.");
        }

        await UsageAsync(context);
        await context.Response.WriteAsync("data: [DONE]\n\n", ct);
    }

    private static async Task PlainAsync(HttpContext context, ModelReply reply)
    {
        object message = reply switch
        {
            ModelReply.Text text => new { role = "assistant", content = text.Content },
            ModelReply.Tools tools => new
            {
                role = "assistant",
                content = (string?)null,
                tool_calls = tools.Calls.Select(c => new { id = c.Id, type = "function", function = new { name = c.Name, arguments = c.Arguments } }).ToArray(),
            },
            _ => new { role = "assistant", content = "" },
        };
        await context.Response.WriteAsJsonAsync(new
        {
            id = "chatcmpl-p",
            @object = "chat.completion",
            created = 1_700_000_000,
            model = Model,
            choices = new[] { new { index = 0, message, finish_reason = reply is ModelReply.Tools ? "tool_calls" : "stop" } },
            usage = new { prompt_tokens = 100, completion_tokens = 20, total_tokens = 120 },
        }, context.RequestAborted);
    }

    private static async Task ChunkAsync(HttpContext context, object delta, string? finishReason)
    {
        var chunk = JsonSerializer.Serialize(new
        {
            id = "chatcmpl-t",
            @object = "chat.completion.chunk",
            created = 1_700_000_000,
            model = Model,
            choices = new[] { new { index = 0, delta, finish_reason = finishReason } },
        });
        await context.Response.WriteAsync($"data: {chunk}\n\n", context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
    }

    private static async Task UsageAsync(HttpContext context)
    {
        var chunk = JsonSerializer.Serialize(new
        {
            id = "chatcmpl-t",
            @object = "chat.completion.chunk",
            created = 1_700_000_000,
            model = Model,
            choices = Array.Empty<object>(),
            usage = new { prompt_tokens = 100, completion_tokens = 20, total_tokens = 120 },
        });
        await context.Response.WriteAsync($"data: {chunk}\n\n", context.RequestAborted);
    }
}

/// <summary>What the agent sent.</summary>
public sealed record ModelRequest(JsonElement Body, string Authorization)
{
    public IReadOnlyList<JsonElement> Messages => [.. Body.GetProperty("messages").EnumerateArray()];

    /// <summary>Whether this is the "write a commit message" request rather than a step of the conversation.</summary>
    public bool IsCommitMessage => Messages.Count > 0 && Messages[0].GetProperty("content").ToString().StartsWith("You write git commit messages", StringComparison.Ordinal);

    /// <summary>Assistant messages in the history: 0 for a turn's first call.</summary>
    public int AssistantCount => Messages.Count(m => m.GetProperty("role").GetString() == "assistant");

    /// <summary>The last user message's text.</summary>
    public string LastUser => Messages.Last(m => m.GetProperty("role").GetString() == "user").GetProperty("content").ToString();

    /// <summary>The tool results sent back, in order.</summary>
    public IReadOnlyList<string> ToolResults => [.. Messages.Where(m => m.GetProperty("role").GetString() == "tool").Select(m => m.GetProperty("content").ToString())];

    public string? Model => Body.GetProperty("model").GetString();

    public bool Stream => Body.TryGetProperty("stream", out var s) && s.ValueKind == JsonValueKind.True;

    public bool HasTools => Body.TryGetProperty("tools", out var tools) && tools.GetArrayLength() > 0;
}

/// <summary>What the model server answers.</summary>
public abstract record ModelReply
{
    public sealed record Text(string Content) : ModelReply;

    public sealed record Tools(params ToolCallReply[] Calls) : ModelReply;

    public sealed record Status(int Code) : ModelReply;

    public sealed record Garbage : ModelReply;

    public sealed record Empty : ModelReply;

    public sealed record Truncated(string Partial) : ModelReply;

    /// <summary>Waits for <paramref name="Release"/> (or the client giving up), then answers <paramref name="Then"/>.</summary>
    public sealed record Hang(TaskCompletionSource Release, ModelReply Then) : ModelReply;

    public static Tools Call(string id, string name, object arguments) => new(new ToolCallReply(id, name, JsonSerializer.Serialize(arguments)));
}

public sealed record ToolCallReply(string Id, string Name, string Arguments);
