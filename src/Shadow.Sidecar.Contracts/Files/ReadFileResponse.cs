namespace Shadow.Sidecar.Contracts.Files;

/// <summary>Answer of <c>GET /files/read</c>: a UTF-8 text file, or the selected range of its lines.</summary>
/// <param name="Path">The file, relative to the workspace root.</param>
/// <param name="Content">The selected lines exactly as stored, each with its own line terminator (CRLF stays CRLF).</param>
/// <param name="Offset">0-based index of the first line returned.</param>
/// <param name="Lines">How many lines <paramref name="Content"/> holds.</param>
/// <param name="TotalLines">How many lines the whole file has (a last line without a terminator counts).</param>
/// <param name="Size">Size of the whole file in bytes.</param>
/// <param name="Truncated">True when lines follow after the returned range (ask again with a larger offset).</param>
public sealed record ReadFileResponse(string Path, string Content, int Offset, int Lines, int TotalLines, long Size, bool Truncated);
