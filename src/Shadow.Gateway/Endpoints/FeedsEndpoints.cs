using System.Globalization;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Shadow.Gateway.Contracts;
using Shadow.Gateway.Streaming;
using Shadow.Grains.Abstractions.Terminals;
using Shadow.Sidecar.Contracts;
using Shadow.Sidecar.Contracts.Terminal;
using Shadow.Sidecar.Contracts.Watch;

namespace Shadow.Gateway.Endpoints;

/// <summary>
/// <c>/api/tasks/{id}/terminal</c> and <c>/api/tasks/{id}/changes</c>: SSE (replay after <c>Last-Event-ID</c> or <c>?since=</c>,
/// then live; the event id is the entry's seq) and paged history, from the task's terminal and change-feed grains.
/// </summary>
internal static class FeedsEndpoints
{
    public const int MaxHistoryPage = 10_000;

    public static IEndpointRouteBuilder MapFeedsApi(this IEndpointRouteBuilder app)
    {
        var terminal = app.MapOwnedTaskGroup("/terminal").WithTags("Terminal").ProducesProblem(StatusCodes.Status404NotFound);
        terminal.MapGet("/", FollowTerminal).WithName("FollowTerminal")
            .WithSummary("Terminal output as SSE: replay after Last-Event-ID or ?since=, then live")
            .Produces<TerminalEntry>(StatusCodes.Status200OK, EventStreamResult.ContentType);
        terminal.MapGet("/history", GetTerminalHistoryAsync).WithName("GetTerminalHistory").WithSummary("Terminal output after a seq");

        var changes = app.MapOwnedTaskGroup("/changes").WithTags("Changes").ProducesProblem(StatusCodes.Status404NotFound);
        changes.MapGet("/", FollowChanges).WithName("FollowChanges")
            .WithSummary("File changes as SSE: replay after Last-Event-ID or ?since=, then live")
            .Produces<WatchEvent>(StatusCodes.Status200OK, EventStreamResult.ContentType);
        changes.MapGet("/history", GetChangesHistoryAsync).WithName("GetChangesHistory").WithSummary("File changes after a seq");
        return app;
    }

    private static EventStreamResult FollowTerminal(string id, long? since, HttpRequest request, IGrainFactory grains, FeedFollower follower,
        IOptions<JsonOptions> json, CancellationToken cancellationToken)
    {
        var from = ResumePoint.From(request, since);
        var grain = grains.GetGrain<ITerminalGrain>(id);
        var entries = follower.FollowAsync("terminal", id, from, grain.FollowAsync, static e => e.Seq, cancellationToken);
        return new(ToItems(entries, static e => e.Seq, static e => SseEventNames.For(e.Stream), cancellationToken), json.Value.SerializerOptions);
    }

    private static EventStreamResult FollowChanges(string id, long? since, HttpRequest request, IGrainFactory grains, FeedFollower follower,
        IOptions<JsonOptions> json, CancellationToken cancellationToken)
    {
        var from = ResumePoint.From(request, since);
        var grain = grains.GetGrain<IChangeFeedGrain>(id);
        var events = follower.FollowAsync("changes", id, from, grain.FollowAsync, static e => e.Seq, cancellationToken);
        return new(ToItems(events, static e => e.Seq, static e => SseEventNames.For(e.Kind), cancellationToken), json.Value.SerializerOptions);
    }

    private static async Task<Ok<FeedPageResponse<TerminalEntry>>> GetTerminalHistoryAsync(string id, long? since, int? limit,
        IGrainFactory grains, CancellationToken cancellationToken)
    {
        var from = ResumePoint.Since(since);
        var page = await grains.GetGrain<ITerminalGrain>(id).GetHistoryAsync(from, PageSize(limit), cancellationToken);
        return TypedResults.Ok(ToResponse(page, from, static e => e.Seq));
    }

    private static async Task<Ok<FeedPageResponse<WatchEvent>>> GetChangesHistoryAsync(string id, long? since, int? limit,
        IGrainFactory grains, CancellationToken cancellationToken)
    {
        var from = ResumePoint.Since(since);
        var page = await grains.GetGrain<IChangeFeedGrain>(id).GetHistoryAsync(from, PageSize(limit), cancellationToken);
        return TypedResults.Ok(ToResponse(page, from, static e => e.Seq));
    }

    private static int PageSize(int? limit) =>
        limit switch
        {
            null => MaxHistoryPage,
            >= 1 and <= MaxHistoryPage => limit.Value,
            _ => throw new BadHttpRequestException($"'limit' must be between 1 and {MaxHistoryPage} (is {limit})."),
        };

    private static FeedPageResponse<T> ToResponse<T>(FeedPage<T> page, long since, Func<T, long> seqOf) =>
        new(page.Entries, page.Entries.Count > 0 ? seqOf(page.Entries[^1]) : Math.Max(since, 0), page.LastSeq, page.HasMore);

    private static async IAsyncEnumerable<SseItem<object?>> ToItems<T>(IAsyncEnumerable<T> entries, Func<T, long> seqOf,
        Func<T, string> nameOf, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var entry in entries.WithCancellation(cancellationToken))
        {
            yield return new SseItem<object?>(entry, nameOf(entry))
            {
                EventId = seqOf(entry).ToString(CultureInfo.InvariantCulture),
            };
        }
    }
}
