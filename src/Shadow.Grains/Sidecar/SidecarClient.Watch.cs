using System.Runtime.CompilerServices;
using Shadow.Sidecar.Contracts;
using Shadow.Sidecar.Contracts.Watch;

namespace Shadow.Grains.Sidecar;

/// <summary>File watcher routes.</summary>
public sealed partial class SidecarClient
{
    /// <summary><c>GET /watch/events?since=</c>: recorded events after <paramref name="since"/>.</summary>
    public Task<WatchEventsResponse> WatchEventsAsync(long since = 0, int? limit = null, CancellationToken cancellationToken = default) =>
        GetAsync(WithQuery(SidecarRoutes.Watch.Events, ("since", since), ("limit", limit)), WatchJsonContext.Default.WatchEventsResponse, cancellationToken);

    /// <summary>
    /// <c>GET /watch/stream</c> (SSE): with <paramref name="lastEventId"/>, first the events after it, then live ones; without it,
    /// live only. A <see cref="WatchEventKind.Gap"/> or <see cref="WatchEventKind.Rescan"/> item means events were lost: rescan.
    /// To resume after a disconnect, call again with the last <see cref="WatchEvent.Seq"/> seen.
    /// </summary>
    public async IAsyncEnumerable<WatchEvent> WatchStreamAsync(long? lastEventId = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var items = StreamAsync(() => new HttpRequestMessage(HttpMethod.Get, SidecarRoutes.Watch.Stream), WatchJsonContext.Default.WatchEvent,
            lastEventId?.ToString(System.Globalization.CultureInfo.InvariantCulture), cancellationToken);
        await foreach (var item in items.ConfigureAwait(false))
        {
            yield return item.Data;
        }
    }

    /// <summary><c>POST /watch/pause</c>: stop recording (idempotent).</summary>
    public Task<WatchStatusResponse> WatchPauseAsync(CancellationToken cancellationToken = default) =>
        PostAsync(SidecarRoutes.Watch.Pause, WatchJsonContext.Default.WatchStatusResponse, idempotent: true, cancellationToken);

    /// <summary><c>POST /watch/resume</c>: record again (idempotent).</summary>
    public Task<WatchStatusResponse> WatchResumeAsync(CancellationToken cancellationToken = default) =>
        PostAsync(SidecarRoutes.Watch.Resume, WatchJsonContext.Default.WatchStatusResponse, idempotent: true, cancellationToken);

    /// <summary><c>GET /watch/status</c>.</summary>
    public Task<WatchStatusResponse> WatchStatusAsync(CancellationToken cancellationToken = default) =>
        GetAsync(SidecarRoutes.Watch.Status, WatchJsonContext.Default.WatchStatusResponse, cancellationToken);
}
