namespace Shadow.Grains.Abstractions.Tasks;

/// <summary>Where a turn left the shadow branch: roll back to it with <see cref="ITaskGrain.RollbackAsync"/>.</summary>
/// <param name="MessageId">The turn's last message (its final assistant answer, or the notice that ended it).</param>
/// <param name="Sha">The shadow branch's commit after the turn.</param>
/// <param name="CreatedAt">When the turn ended.</param>
/// <param name="Committed">Whether the turn made that commit (false: the turn changed nothing and the branch stayed where it was).</param>
[GenerateSerializer, Immutable, Alias("shadow.checkpoint")]
public sealed record Checkpoint(string MessageId, string Sha, DateTimeOffset CreatedAt, bool Committed);
