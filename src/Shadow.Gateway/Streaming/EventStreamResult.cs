using System.Net.ServerSentEvents;
using Microsoft.AspNetCore.Http.Features;

namespace Shadow.Gateway.Streaming;

/// <summary>
/// Server-sent events whose headers go out at once: a client following a quiet terminal learns it is connected now, not at
/// the first entry. Items carry their data already serialized as JSON. A client that goes away ends the stream quietly.
/// </summary>
internal sealed class EventStreamResult(IAsyncEnumerable<SseItem<string>> items) : IResult
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
            await SseFormatter.WriteAsync(items, response.Body, aborted);
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            // The client went away: nothing left to answer.
        }
    }
}
