using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Shadow.Grains.Tests.Agent;

/// <summary>
/// An Anthropic Messages API server of our own (Kestrel on 127.0.0.1:0, <c>POST /v1/messages</c>, plain or streamed as
/// named SSE events), answering from <see cref="Responder"/> with the same replies as <see cref="ModelServer"/>.
/// </summary>
public sealed class AnthropicServer : IAsyncDisposable
{
    public const string Model = "claude-test";

    private readonly WebApplication _app;

    private AnthropicServer(WebApplication app, string baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    /// <summary>The API root (no version segment): <c>http://127.0.0.1:port</c>.</summary>
    public string BaseUrl { get; }

    public Func<JsonElement, ModelReply> Responder { get; set; } = _ => new ModelReply.Text("Done.");

    public ConcurrentQueue<(string ApiKey, JsonElement Body)> Requests { get; } = new();

    public Dictionary<string, string?> Settings(string apiKey = "sk-ant-test") => new()
    {
        ["Shadow:Agent:Provider"] = "Anthropic",
        ["Shadow:Agent:BaseUrl"] = BaseUrl,
        ["Shadow:Agent:Model"] = Model,
        ["Shadow:Agent:ApiKey"] = apiKey,
        ["Shadow:Agent:RetryBaseDelay"] = "00:00:00.020",
    };

    public static async Task<AnthropicServer> StartAsync(CancellationToken cancellationToken)
    {
        AnthropicServer? server = null;
        var (app, address) = await LoopbackHttp.StartAsync(context => server!.HandleAsync(context), cancellationToken);
        server = new AnthropicServer(app, address);
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>Assistant turns in a request's history.</summary>
    public static int AssistantCount(JsonElement body) =>
        body.GetProperty("messages").EnumerateArray().Count(m => m.GetProperty("role").GetString() == "assistant");

    private async Task HandleAsync(HttpContext context)
    {
        if (context.Request.Method != HttpMethods.Post || context.Request.Path != "/v1/messages")
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        using var document = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
        var body = document.RootElement.Clone();
        var key = context.Request.Headers["x-api-key"].ToString();
        Requests.Enqueue((key.Length > 0 ? key : context.Request.Headers.Authorization.ToString(), body));
        var reply = Responder(body);
        var stream = body.TryGetProperty("stream", out var s) && s.ValueKind == JsonValueKind.True;
        var ct = context.RequestAborted;
        if (reply is ModelReply.Status status)
        {
            context.Response.StatusCode = status.Code;
            await context.Response.WriteAsJsonAsync(new { type = "error", error = new { type = "api_error", message = "overloaded" } }, ct);
            return;
        }

        var blocks = reply switch
        {
            ModelReply.Text text => new object[] { new { type = "text", text = text.Content } },
            ModelReply.Tools tools => [.. tools.Calls.Select(c => (object)new { type = "tool_use", id = c.Id, name = c.Name, input = JsonDocument.Parse(c.Arguments).RootElement })],
            _ => throw new InvalidOperationException($"AnthropicServer cannot send {reply}."),
        };
        var stop = reply is ModelReply.Tools ? "tool_use" : "end_turn";
        if (!stream)
        {
            await context.Response.WriteAsJsonAsync(new
            {
                id = "msg_1", type = "message", role = "assistant", model = Model, content = blocks, stop_reason = stop, stop_sequence = (string?)null,
                usage = new { input_tokens = 100, output_tokens = 20 },
            }, ct);
            return;
        }

        context.Response.ContentType = "text/event-stream";
        await EventAsync(context, "message_start", new
        {
            type = "message_start",
            message = new
            {
                id = "msg_1", type = "message", role = "assistant", model = Model, content = Array.Empty<object>(), stop_reason = (string?)null,
                stop_sequence = (string?)null, usage = new { input_tokens = 100, output_tokens = 1 },
            },
        });
        var index = 0;
        switch (reply)
        {
            case ModelReply.Text text:
                await EventAsync(context, "content_block_start", new { type = "content_block_start", index, content_block = new { type = "text", text = "" } });
                var half = text.Content.Length / 2;
                foreach (var piece in new[] { text.Content[..half], text.Content[half..] })
                {
                    await EventAsync(context, "content_block_delta", new { type = "content_block_delta", index, delta = new { type = "text_delta", text = piece } });
                }

                await EventAsync(context, "content_block_stop", new { type = "content_block_stop", index });
                break;
            case ModelReply.Tools tools:
                foreach (var call in tools.Calls)
                {
                    await EventAsync(context, "content_block_start", new
                    {
                        type = "content_block_start", index, content_block = new { type = "tool_use", id = call.Id, name = call.Name, input = new { } },
                    });
                    var cut = call.Arguments.Length / 2;
                    foreach (var piece in new[] { call.Arguments[..cut], call.Arguments[cut..] })
                    {
                        await EventAsync(context, "content_block_delta", new { type = "content_block_delta", index, delta = new { type = "input_json_delta", partial_json = piece } });
                    }

                    await EventAsync(context, "content_block_stop", new { type = "content_block_stop", index });
                    index++;
                }

                break;
        }

        await EventAsync(context, "message_delta", new { type = "message_delta", delta = new { stop_reason = stop, stop_sequence = (string?)null }, usage = new { output_tokens = 20 } });
        await EventAsync(context, "message_stop", new { type = "message_stop" });
    }

    private static async Task EventAsync(HttpContext context, string name, object data)
    {
        await context.Response.WriteAsync($"event: {name}\ndata: {JsonSerializer.Serialize(data)}\n\n", context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
    }
}
