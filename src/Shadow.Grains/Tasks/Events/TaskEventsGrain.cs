using System.Runtime.CompilerServices;
using Orleans.Concurrency;
using Shadow.Grains.Abstractions.Tasks;

namespace Shadow.Grains.Tasks.Events;

/// <summary>
/// A task's live feed: the recent events in memory (at most <see cref="Capacity"/>) for replay, then live. Seq numbers stay
/// increasing across activations without a write per event: each activation reserves a block of them in storage first.
/// Reentrant: readers wait for new events inside their calls while the task grain publishes.
/// </summary>
[Reentrant]
public sealed class TaskEventsGrain(
    [PersistentState("task-events", StorageNames.Default)] IPersistentState<TaskEventsState> state,
    TimeProvider time) : Grain, ITaskEventsGrain, ITaskEventSink
{
    internal const int Capacity = 4096;
    private const long ReserveBlock = 1_000_000;

    private readonly LinkedList<TaskEvent> _events = new();
    private TaskCompletionSource _signal = NewSignal();
    private long _next;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _next = state.State.ReservedThrough + 1;
        await ReserveAsync(cancellationToken);
    }

    async Task ITaskEventSink.PublishAsync(IReadOnlyList<TaskEvent> events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(events);
        foreach (var e in events)
        {
            if (_next > state.State.ReservedThrough)
            {
                await ReserveAsync(cancellationToken);
            }

            _events.AddLast(e with { Seq = _next++ });
            if (_events.Count > Capacity)
            {
                _events.RemoveFirst();
            }
        }

        var signal = _signal;
        _signal = NewSignal();
        signal.TrySetResult();
    }

    Task<long> ITaskEventsGrain.GetLastSeqAsync(CancellationToken cancellationToken) => Task.FromResult(_events.Last?.Value.Seq ?? 0);

    async IAsyncEnumerable<TaskEvent> ITaskEventsGrain.FollowAsync(long since, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(since);
        var first = _events.First?.Value.Seq ?? _next;
        if (since > 0 && since < first - 1)
        {
            // The reader missed events this activation no longer holds (evicted, or from before a restart).
            yield return new TaskEvent(first - 1, TaskEventKind.Gap, time.GetUtcNow(),
                Text: $"Events {since + 1}..{first - 1} are no longer kept; read the task's messages for the history.");
        }

        while (!cancellationToken.IsCancellationRequested)
        {
            var signal = _signal.Task;
            var batch = _events.Where(e => e.Seq > since).ToList();
            if (batch.Count == 0)
            {
                try
                {
                    await signal.WaitAsync(cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    yield break;
                }

                continue;
            }

            foreach (var e in batch)
            {
                yield return e;
            }

            since = batch[^1].Seq;
        }
    }

    private async Task ReserveAsync(CancellationToken cancellationToken)
    {
        state.State.ReservedThrough = _next - 1 + ReserveBlock;
        await state.WriteStateAsync(cancellationToken);
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
