namespace Shadow.Grains.Tasks.Events;

/// <summary>What <see cref="TaskEventsGrain"/> keeps in storage: only how far seq numbers were handed out (events live in memory).</summary>
[GenerateSerializer, Alias("shadow.task-events-state")]
public sealed class TaskEventsState
{
    /// <summary>Seq numbers up to this one may have been used; an activation continues after it.</summary>
    [Id(0)] public long ReservedThrough { get; set; }
}
