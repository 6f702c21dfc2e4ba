namespace Shadow.Sidecar.Contracts.Files;

/// <summary>Answer of <c>GET /files/list</c>: one folder's entries, sorted by name (ordinal).</summary>
/// <param name="Path">The folder, relative to the workspace root ("" for the root).</param>
/// <param name="Entries">The entries, sorted by name.</param>
/// <param name="Truncated">True when the folder holds more entries than <c>Sidecar:Files:MaxListEntries</c>; the entries are then a sorted subset.</param>
public sealed record ListFilesResponse(string Path, IReadOnlyList<FileEntry> Entries, bool Truncated);
