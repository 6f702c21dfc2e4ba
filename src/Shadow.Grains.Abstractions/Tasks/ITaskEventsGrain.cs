namespace Shadow.Grains.Abstractions.Tasks;

/// <summary>
/// A task's live event feed (keyed by the task id): status changes, streamed text, tool calls and results, commits. It keeps
/// the recent events in memory for replay; a reader that asks for events no longer kept gets a <see cref="TaskEventKind.Gap"/>
/// first and should read <see cref="ITaskGrain.GetMessagesAsync"/> for the history.
/// </summary>
[Alias("shadow.task-events")]
public interface ITaskEventsGrain : IGrainWithStringKey
{
    /// <summary>Events after <paramref name="since"/>, then live ones as they happen, until cancelled.</summary>
    IAsyncEnumerable<TaskEvent> FollowAsync(long since = 0, CancellationToken cancellationToken = default);

    /// <summary>The seq of the newest event (0 when none).</summary>
    Task<long> GetLastSeqAsync(CancellationToken cancellationToken = default);
}
