namespace Shadow.Grains.Workspaces;

/// <summary>What a turn changed in the working tree, for the model to write the commit message from.</summary>
/// <param name="Summary">The deterministic summary (<see cref="CommitMessages.Summarize"/>): also the fallback commit message.</param>
/// <param name="Patch">The diff against HEAD (tracked files), cut at the size asked for.</param>
/// <param name="Truncated">Whether <paramref name="Patch"/> was cut.</param>
/// <param name="FilesChanged">How many files changed (untracked included).</param>
[GenerateSerializer, Immutable, Alias("shadow.turn-changes")]
public sealed record TurnChanges(string Summary, string Patch, bool Truncated, int FilesChanged);
