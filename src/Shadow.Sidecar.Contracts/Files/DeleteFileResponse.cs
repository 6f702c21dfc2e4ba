namespace Shadow.Sidecar.Contracts.Files;

/// <summary>Answer of <c>POST /files/delete</c>.</summary>
/// <param name="Path">What was deleted, relative to the workspace root.</param>
/// <param name="Type">What it was.</param>
public sealed record DeleteFileResponse(string Path, FileEntryType Type);
