using System.Buffers;
using System.Net.ServerSentEvents;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;

namespace Shadow.Gateway.Streaming;

/// <summary>
/// Server-sent events whose headers go out at once: a client following a quiet terminal learns it is connected now, not at
/// the first entry. Each item's data is written as JSON straight into the response (UTF-8, no intermediate string). A
/// client that goes away ends the stream quietly.
/// </summary>
internal sealed class EventStreamResult(IAsyncEnumerable<SseItem<object?>> items, JsonSerializerOptions options) : IResult
{
    public const string ContentType = "text/event-stream";

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        var aborted = httpContext.RequestAborted;
        response.ContentType = ContentType;
        response.Headers.CacheControl = "no-cache,no-store";
        response.Headers["X-Accel-Buffering"] = "no";
        httpContext.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        try
        {
            // StartAsync only queues the headers; the flush puts them on the wire.
            await response.StartAsync(aborted);
            await response.Body.FlushAsync(aborted);
            await SseFormatter.WriteAsync(items, response.Body, Format, aborted);
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            // The client went away: nothing left to answer.
        }
    }

    private void Format(SseItem<object?> item, IBufferWriter<byte> writer)
    {
        using var json = new Utf8JsonWriter(writer);
        JsonSerializer.Serialize(json, item.Data, item.Data?.GetType() ?? typeof(object), options);
    }
}
