namespace Shadow.Grains.Runtime;

/// <summary>An instance's state and, when it ended, why.</summary>
/// <param name="State">Where it is.</param>
/// <param name="Detail">E.g. the exit code, or the last lines the process wrote.</param>
[GenerateSerializer, Immutable, Alias("shadow.runtime.status")]
public sealed record WorkspaceRuntimeStatus(WorkspaceRuntimeState State, string? Detail = null);
