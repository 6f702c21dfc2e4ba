namespace Shadow.Sidecar.Contracts.Files;

/// <summary>Body of <c>POST /files/write</c>: replace (or create) a file atomically with UTF-8 text.</summary>
/// <param name="Path">The file, relative to the workspace root. A symbolic link is written through to its (contained) target.</param>
/// <param name="Content">The whole new content; written as UTF-8 without a BOM.</param>
/// <param name="CreateDirectories">Create missing parent folders (default true); when false a missing parent answers 404.</param>
public sealed record WriteFileRequest(string Path, string Content, bool? CreateDirectories = null);
