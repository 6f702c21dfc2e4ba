namespace Shadow.Grains.Abstractions.Tasks;

/// <summary>What a task looks like from outside.</summary>
/// <param name="Id">The task id; the branch is <c>shadow/task-{Id}</c>.</param>
/// <param name="Status">The task's status.</param>
/// <param name="UpdatedAt">When the task last changed.</param>
[GenerateSerializer, Immutable, Alias("shadow.task-snapshot")]
public sealed record TaskSnapshot(string Id, ShadowTaskStatus Status, DateTimeOffset UpdatedAt);
