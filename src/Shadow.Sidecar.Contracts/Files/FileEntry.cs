namespace Shadow.Sidecar.Contracts.Files;

/// <summary>One entry of a folder listing.</summary>
/// <param name="Name">The entry's name.</param>
/// <param name="Path">The entry's path relative to the workspace root.</param>
/// <param name="Type">File, directory, symlink or other.</param>
/// <param name="Size">Size in bytes for files, 0 otherwise.</param>
public sealed record FileEntry(string Name, string Path, FileEntryType Type, long Size);
