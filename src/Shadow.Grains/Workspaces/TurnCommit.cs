namespace Shadow.Grains.Workspaces;

/// <summary>A turn's commit, pushed to the shadow branch.</summary>
/// <param name="Sha">The commit.</param>
/// <param name="Message">Its message.</param>
/// <param name="FilesChanged">How many files it changed.</param>
[GenerateSerializer, Immutable, Alias("shadow.turn-commit")]
public sealed record TurnCommit(string Sha, string Message, int FilesChanged);
