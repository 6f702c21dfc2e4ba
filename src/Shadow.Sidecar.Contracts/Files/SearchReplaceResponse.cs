namespace Shadow.Sidecar.Contracts.Files;

/// <summary>Answer of <c>POST /files/search-replace</c>.</summary>
/// <param name="Path">The file changed, relative to the workspace root.</param>
/// <param name="Size">The file's new size in bytes.</param>
/// <param name="Line">1-based line where the replaced text started.</param>
public sealed record SearchReplaceResponse(string Path, long Size, int Line);
