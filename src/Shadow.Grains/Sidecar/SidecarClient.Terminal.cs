using System.Globalization;
using System.Runtime.CompilerServices;
using Shadow.Sidecar.Contracts;
using Shadow.Sidecar.Contracts.Terminal;

namespace Shadow.Grains.Sidecar;

public sealed partial class SidecarClient
{
    /// <summary><c>GET /terminal/history?since=&amp;limit=</c>: entries after <paramref name="since"/>; starts with a gap marker when some were lost.</summary>
    public Task<TerminalHistoryResponse> GetTerminalHistoryAsync(long? since = null, int? limit = null, CancellationToken cancellationToken = default) =>
        GetAsync(WithQuery(SidecarRoutes.Terminal.History, ("since", since), ("limit", limit)), TerminalJsonContext.Default.TerminalHistoryResponse,
            cancellationToken);

    /// <summary><c>GET /terminal/stats</c>.</summary>
    public Task<TerminalStatsResponse> GetTerminalStatsAsync(CancellationToken cancellationToken = default) =>
        GetAsync(SidecarRoutes.Terminal.Stats, TerminalJsonContext.Default.TerminalStatsResponse, cancellationToken);

    /// <summary><c>POST /terminal/clear</c>. Not retried: a retry could clear entries written in between.</summary>
    public Task<TerminalClearResponse> ClearTerminalAsync(CancellationToken cancellationToken = default) =>
        PostAsync(SidecarRoutes.Terminal.Clear, TerminalJsonContext.Default.TerminalClearResponse, idempotent: false, cancellationToken);

    /// <summary>
    /// <c>GET /terminal/stream</c>: replays entries after <paramref name="lastEventId"/> (sent as <c>Last-Event-ID</c>) or
    /// <paramref name="since"/>, or the whole buffer when both are null, then follows live until cancelled. To resume
    /// after a broken connection, call again with the last seen <see cref="TerminalEntry.Seq"/> as <paramref name="lastEventId"/>.
    /// </summary>
    public async IAsyncEnumerable<TerminalEntry> StreamTerminalAsync(long? lastEventId = null, long? since = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var items = StreamAsync(() => new HttpRequestMessage(HttpMethod.Get, WithQuery(SidecarRoutes.Terminal.Stream, ("since", since))),
            TerminalJsonContext.Default.TerminalEntry, lastEventId?.ToString(CultureInfo.InvariantCulture), resumeOnBreak: true, cancellationToken);
        await foreach (var item in items.ConfigureAwait(false))
        {
            yield return item.Data;
        }
    }
}
