using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Shadow.Grains.Tests.Agent;

/// <summary>
/// An OpenAI chat-completions server of our own: Kestrel on 127.0.0.1:0 serving <c>POST /v1/chat/completions</c>, plain or
/// <c>stream: true</c> (SSE <c>data:</c> chunks ending in <c>[DONE]</c>). <see cref="Reply"/> picks the next answer.
/// </summary>
public sealed class OpenAIProtocolServer : IAsyncDisposable
{
    public const string Text = "Hello from the protocol server.";
    public const string ToolName = "read_file";
    public const string ToolArguments = """{"path":"README.md","startLine":3}""";
    public const string ToolCallId = "call_abc";

    private readonly WebApplication _app;

    private OpenAIProtocolServer(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseUrl = baseAddress;
    }

    public enum ReplyKind
    {
        Text,
        ToolCall,
        ServerError,
    }

    /// <summary>The API root to configure (<c>http://127.0.0.1:port/v1</c>).</summary>
    public Uri BaseUrl { get; }

    public ReplyKind Reply { get; set; } = ReplyKind.Text;

    public ConcurrentQueue<Request> Requests { get; } = new();

    public static async Task<OpenAIProtocolServer> StartAsync(CancellationToken cancellationToken)
    {
        OpenAIProtocolServer? server = null;
        var (app, address) = await LoopbackHttp.StartAsync(context => server!.HandleAsync(context), cancellationToken);
        server = new OpenAIProtocolServer(app, new Uri(address + "/v1"));
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
        var root = body.RootElement;
        var stream = root.TryGetProperty("stream", out var s) && s.ValueKind == JsonValueKind.True;
        Requests.Enqueue(new Request(context.Request.Headers.Authorization.ToString(), root.GetProperty("model").GetString() ?? "", stream, root.Clone()));

        if (Reply == ReplyKind.ServerError)
        {
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            await context.Response.WriteAsJsonAsync(new { error = new { message = "the model fell over", type = "server_error" } }, context.RequestAborted);
            return;
        }

        var model = root.GetProperty("model").GetString();
        if (!stream)
        {
            object message = Reply == ReplyKind.Text
                ? new { role = "assistant", content = Text }
                : new
                {
                    role = "assistant",
                    content = (string?)null,
                    tool_calls = new[] { new { id = ToolCallId, type = "function", function = new { name = ToolName, arguments = ToolArguments } } },
                };
            await context.Response.WriteAsJsonAsync(new
            {
                id = "chatcmpl-1",
                @object = "chat.completion",
                created = 1_700_000_000,
                model,
                choices = new[] { new { index = 0, message, finish_reason = Reply == ReplyKind.Text ? "stop" : "tool_calls" } },
                usage = new { prompt_tokens = 11, completion_tokens = 7, total_tokens = 18 },
            }, context.RequestAborted);
            return;
        }

        context.Response.ContentType = "text/event-stream";
        List<object> deltas = Reply == ReplyKind.Text
            ? [new { role = "assistant", content = "" }, new { content = "Hello from " }, new { content = "the protocol " }, new { content = "server." }]
            :
            [
                new { role = "assistant", tool_calls = new[] { new { index = 0, id = ToolCallId, type = "function", function = new { name = ToolName, arguments = "" } } } },
                new { tool_calls = new[] { new { index = 0, function = new { arguments = ToolArguments[..10] } } } },
                new { tool_calls = new[] { new { index = 0, function = new { arguments = ToolArguments[10..] } } } },
            ];
        foreach (var delta in deltas)
        {
            await WriteChunkAsync(context, model, delta, null);
        }

        await WriteChunkAsync(context, model, new { }, Reply == ReplyKind.Text ? "stop" : "tool_calls");
        await context.Response.WriteAsync("data: [DONE]\n\n", context.RequestAborted);
    }

    private static async Task WriteChunkAsync(HttpContext context, string? model, object delta, string? finishReason)
    {
        var chunk = JsonSerializer.Serialize(new
        {
            id = "chatcmpl-2",
            @object = "chat.completion.chunk",
            created = 1_700_000_000,
            model,
            choices = new[] { new { index = 0, delta, finish_reason = finishReason } },
        });
        await context.Response.WriteAsync($"data: {chunk}\n\n", context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
    }

    public sealed record Request(string Authorization, string Model, bool Stream, JsonElement Body);
}
