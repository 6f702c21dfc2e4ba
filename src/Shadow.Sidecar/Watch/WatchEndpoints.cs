using System.Globalization;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using Shadow.Sidecar.Contracts;
using Shadow.Sidecar.Contracts.Watch;
using Shadow.Sidecar.Hosting;

namespace Shadow.Sidecar.Watch;

/// <summary>The Watch routes over <see cref="WorkspaceWatcher"/>.</summary>
internal static class WatchEndpoints
{
    public const int DefaultEventsLimit = 1000;
    public const int MaxEventsLimit = 10_000;

    public static IServiceCollection AddWatch(this IServiceCollection services) =>
        services.AddSingleton<WorkspaceWatcher>().AddHostedService(sp => sp.GetRequiredService<WorkspaceWatcher>());

    public static IEndpointRouteBuilder MapWatchApi(this IEndpointRouteBuilder app)
    {
        var watch = app.MapGroup(string.Empty).WithTags("Watch");
        watch.MapGet(SidecarRoutes.Watch.Events, GetEvents).WithName("WatchEvents");
        // Declared as IResult with the item type spelled out: OpenAPI cannot describe SseItem<T> from the source-generated metadata.
        watch.MapGet(SidecarRoutes.Watch.Stream, Stream).WithName("WatchStream").Produces<WatchEvent>(StatusCodes.Status200OK, "text/event-stream");
        watch.MapPost(SidecarRoutes.Watch.Pause, (WorkspaceWatcher watcher) => watcher.Pause()).WithName("WatchPause");
        watch.MapPost(SidecarRoutes.Watch.Resume, (WorkspaceWatcher watcher) => watcher.Resume()).WithName("WatchResume");
        watch.MapGet(SidecarRoutes.Watch.Status, (WorkspaceWatcher watcher) => watcher.Status()).WithName("WatchStatus");
        return app;
    }

    private static WatchEventsResponse GetEvents(WorkspaceWatcher watcher, string? since, string? limit)
    {
        var from = RequestValues.Since(RequestValues.ParseLong(since, "since"));
        var take = RequestValues.ParseLong(limit, "limit") ?? DefaultEventsLimit;

        if (take is < 1 or > MaxEventsLimit)
        {
            throw SidecarException.BadRequest($"'limit' must be between 1 and {MaxEventsLimit} (got {take}).");
        }

        var (events, lastSeq, gap) = watcher.Log.Since(from, (int)take);
        return new WatchEventsResponse(events, lastSeq, gap);
    }

    /// <summary>SSE (<c>ServerSentEventsResult&lt;WatchEvent&gt;</c>): replays after <c>Last-Event-ID</c> (or <c>?since=</c>), then live; without either, live only.</summary>
    private static IResult Stream(HttpContext context, WorkspaceWatcher watcher, IHostApplicationLifetime lifetime, string? since)
    {
        var lastEventId = RequestValues.ResumeAfter(context.Request.Headers["Last-Event-ID"].ToString(), RequestValues.ParseLong(since, "since"));

        return EventStream.Of(ToItems(watcher.Log.SubscribeAsync(lastEventId, CancellationToken.None), lifetime.ApplicationStopping, context.RequestAborted),
            WatchJsonContext.Default.WatchEvent);
    }

    /// <summary>The events as SSE items; the stream ends (rather than holding the shutdown up) when the sidecar stops.</summary>
    private static async IAsyncEnumerable<SseItem<WatchEvent>> ToItems(IAsyncEnumerable<WatchEvent> events, CancellationToken stopping,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stopping, cancellationToken);
        var enumerator = events.GetAsyncEnumerator(linked.Token);
        try
        {
            while (true)
            {
                bool more;
                try
                {
                    more = await enumerator.MoveNextAsync().ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (stopping.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    yield break;
                }

                if (!more)
                {
                    yield break;
                }

                var item = enumerator.Current;
                yield return new SseItem<WatchEvent>(item, SseEventNames.For(item.Kind)) { EventId = item.Seq.ToString(CultureInfo.InvariantCulture) };
            }
        }
        finally
        {
            await enumerator.DisposeAsync().ConfigureAwait(false);
        }
    }
}
