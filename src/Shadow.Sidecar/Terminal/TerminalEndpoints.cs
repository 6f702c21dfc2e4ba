using System.Globalization;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Mvc;
using Shadow.Sidecar.Contracts;
using Shadow.Sidecar.Contracts.Terminal;
using Shadow.Sidecar.Hosting;

namespace Shadow.Sidecar.Terminal;

/// <summary><c>/terminal/*</c>: history, stats, clear and the live SSE stream of the one terminal buffer.</summary>
internal static class TerminalEndpoints
{
    private const int StreamBatch = 512;

    public static IServiceCollection AddTerminal(this IServiceCollection services)
    {
        services.AddSingleton(sp => sp.GetRequiredService<SidecarOptions>().Terminal);
        services.AddSingleton<TerminalStore>();
        services.AddSingleton(sp =>
        {
            var buffer = new TerminalBuffer(sp.GetRequiredService<TerminalOptions>(), sp.GetRequiredService<TimeProvider>());
            sp.GetRequiredService<TerminalStore>().Load(buffer);
            return buffer;
        });
        services.AddHostedService(sp =>
        {
            // The buffer first: building it reads the saved segments back.
            sp.GetRequiredService<TerminalBuffer>();
            return sp.GetRequiredService<TerminalStore>();
        });
        return services;
    }

    public static IEndpointRouteBuilder MapTerminalApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(string.Empty).WithTags("Terminal");
        group.MapGet(SidecarRoutes.Terminal.History, GetHistory).WithName("TerminalHistory");
        group.MapGet(SidecarRoutes.Terminal.Stats, GetStats).WithName("TerminalStats");
        group.MapPost(SidecarRoutes.Terminal.Clear, Clear).WithName("TerminalClear");
        // IResult rather than ServerSentEventsResult<T>: the latter announces SseItem<T>, which has no JSON schema to generate.
        group.MapGet(SidecarRoutes.Terminal.Stream, Stream).WithName("TerminalStream")
            .Produces<TerminalEntry>(StatusCodes.Status200OK, "text/event-stream");
        return app;
    }

    private static TerminalHistoryResponse GetHistory(TerminalBuffer buffer, TerminalOptions options, long? since, int? limit)
    {
        var from = RequestValues.Since(since);
        var count = options.PageSize(limit);

        var page = buffer.Read(from, count);
        return new TerminalHistoryResponse(page.Entries, page.ScannedThrough, page.LastSeq, page.HasMore);
    }

    private static TerminalStatsResponse GetStats(TerminalBuffer buffer) => buffer.Stats();

    private static TerminalClearResponse Clear(TerminalBuffer buffer) => buffer.Clear();

    private static IResult Stream(TerminalBuffer buffer, IHostApplicationLifetime lifetime, long? since,
        [FromHeader(Name = "Last-Event-ID")] string? lastEventId, CancellationToken cancellationToken)
    {
        // Neither header nor since: replay what the buffer holds (no gap marker for what it never promised), then live.
        var from = RequestValues.ResumeAfter(lastEventId, since) ?? buffer.FirstSeq - 1;

        return EventStream.Of(Follow(buffer, from, lifetime.ApplicationStopping, cancellationToken), TerminalJsonContext.Default.TerminalEntry);
    }

    private static async IAsyncEnumerable<SseItem<TerminalEntry>> Follow(TerminalBuffer buffer, long since, CancellationToken stopping,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stopping, cancellationToken);
        var cursor = since;
        var epoch = buffer.Read(cursor, 0).ClearEpoch;
        while (!linked.IsCancellationRequested)
        {
            var page = buffer.Read(cursor, StreamBatch);
            epoch = page.ClearEpoch;
            foreach (var entry in page.Entries)
            {
                yield return ToItem(entry);
            }

            cursor = page.ScannedThrough;
            if (page.HasMore)
            {
                continue;
            }

            try
            {
                await buffer.WaitForChangeAsync(cursor, epoch, linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                yield break;
            }
        }
    }

    public static SseItem<TerminalEntry> ToItem(TerminalEntry entry) =>
        new(entry, SseEventNames.For(entry.Stream)) { EventId = entry.Seq.ToString(CultureInfo.InvariantCulture) };
}
