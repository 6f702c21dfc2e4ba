namespace Shadow.Sidecar.Contracts.Files;

/// <summary>Answer of <c>POST /files/write</c>.</summary>
/// <param name="Path">The file written, relative to the workspace root.</param>
/// <param name="BytesWritten">The file's new size in bytes.</param>
/// <param name="Created">True when the file did not exist before.</param>
public sealed record WriteFileResponse(string Path, long BytesWritten, bool Created);
