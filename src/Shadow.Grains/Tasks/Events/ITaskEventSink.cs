using Shadow.Grains.Abstractions.Tasks;

namespace Shadow.Grains.Tasks.Events;

/// <summary>The producer side of a task's event feed (silo-internal: only <see cref="TaskGrain"/> publishes).</summary>
[Alias("shadow.task-event-sink")]
public interface ITaskEventSink : IGrainWithStringKey
{
    /// <summary>Appends events in order; their <see cref="TaskEvent.Seq"/> is assigned here (the value passed in is ignored).</summary>
    Task PublishAsync(IReadOnlyList<TaskEvent> events, CancellationToken cancellationToken = default);
}
