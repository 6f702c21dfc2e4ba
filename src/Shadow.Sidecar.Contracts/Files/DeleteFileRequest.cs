namespace Shadow.Sidecar.Contracts.Files;

/// <summary>Body of <c>POST /files/delete</c>.</summary>
/// <param name="Path">File, symbolic link (the link itself) or folder, relative to the workspace root; never the root itself.</param>
/// <param name="Recursive">Required to delete a folder that is not empty.</param>
public sealed record DeleteFileRequest(string Path, bool? Recursive = null);
