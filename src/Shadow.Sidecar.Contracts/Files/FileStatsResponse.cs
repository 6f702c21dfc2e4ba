namespace Shadow.Sidecar.Contracts.Files;

/// <summary>Answer of <c>GET /files/stats</c> (lstat: a symbolic link is described itself, not its target).</summary>
/// <param name="Path">The entry, relative to the workspace root ("" for the root).</param>
/// <param name="Type">File, directory, symlink or other.</param>
/// <param name="Size">Size in bytes (0 for directories; the link text length for links).</param>
/// <param name="ModifiedAt">Last modification time (UTC).</param>
/// <param name="Mode">Unix permission bits in octal, e.g. <c>0644</c>.</param>
/// <param name="LinkTarget">For a symbolic link, what it points at as stored in the link; otherwise null.</param>
public sealed record FileStatsResponse(string Path, FileEntryType Type, long Size, DateTimeOffset ModifiedAt, string Mode, string? LinkTarget);
