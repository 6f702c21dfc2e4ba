using System.Buffers;
using System.Net.ServerSentEvents;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Shadow.Sidecar.Hosting;

/// <summary>
/// Server-sent events that send their headers at once: a client opening a stream on an empty terminal buffer or a
/// quiet watcher learns it is connected immediately, not at the first event (which may never come).
/// </summary>
internal sealed class EventStreamResult<T>(IAsyncEnumerable<SseItem<T>> items, JsonTypeInfo<T> itemType) : IResult
{
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache,no-store";
        response.Headers["X-Accel-Buffering"] = "no";
        httpContext.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpResponseBodyFeature>()?.DisableBuffering();
        // StartAsync only queues the headers; the flush puts them on the wire.
        await response.StartAsync(httpContext.RequestAborted).ConfigureAwait(false);
        await response.Body.FlushAsync(httpContext.RequestAborted).ConfigureAwait(false);
        try
        {
            await SseFormatter.WriteAsync(items, response.Body, Format, httpContext.RequestAborted).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (httpContext.RequestAborted.IsCancellationRequested)
        {
            // The client went away: nothing left to answer.
        }
    }

    private void Format(SseItem<T> item, IBufferWriter<byte> writer)
    {
        using var json = new Utf8JsonWriter(writer);
        JsonSerializer.Serialize(json, item.Data, itemType);
    }
}

/// <summary>Factory for <see cref="EventStreamResult{T}"/>.</summary>
internal static class EventStream
{
    public static IResult Of<T>(IAsyncEnumerable<SseItem<T>> items, JsonTypeInfo<T> itemType) => new EventStreamResult<T>(items, itemType);
}
