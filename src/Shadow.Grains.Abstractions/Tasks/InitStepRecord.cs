namespace Shadow.Grains.Abstractions.Tasks;

/// <summary>One init step as it ran (the last attempt of it).</summary>
/// <param name="Step">Which step.</param>
/// <param name="Status">Where it is.</param>
/// <param name="StartedAt">When its last attempt started.</param>
/// <param name="EndedAt">When its last attempt ended.</param>
/// <param name="Error">Why it failed, when it did.</param>
/// <param name="Attempts">How many times it was started.</param>
[GenerateSerializer, Immutable, Alias("shadow.init-step")]
public sealed record InitStepRecord(
    InitStepKind Step,
    InitStepStatus Status,
    DateTimeOffset? StartedAt,
    DateTimeOffset? EndedAt,
    string? Error,
    int Attempts);
