namespace Shadow.Sidecar.Contracts.Files;

/// <summary>Answer of <c>GET /files/list-recursive</c>: a bounded walk that skips <c>.git</c> and never follows links.</summary>
/// <param name="Path">The folder walked, relative to the workspace root ("" for the root).</param>
/// <param name="Entries">Files, folders and links below it, sorted by path (ordinal).</param>
/// <param name="Truncated">True when the walk stopped at the entry limit.</param>
public sealed record ListRecursiveResponse(string Path, IReadOnlyList<RecursiveEntry> Entries, bool Truncated);

/// <summary>One entry of a recursive listing.</summary>
/// <param name="Path">The entry's path relative to the workspace root.</param>
/// <param name="Type">File, directory, symlink or other.</param>
public sealed record RecursiveEntry(string Path, FileEntryType Type);
