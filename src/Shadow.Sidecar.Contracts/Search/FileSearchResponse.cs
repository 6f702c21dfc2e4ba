namespace Shadow.Sidecar.Contracts.Search;

/// <summary>Answer of <c>GET /search/files</c>: files whose path contains the query as a subsequence, best first.</summary>
/// <param name="Query">The query as received.</param>
/// <param name="Matches">The best matches, highest score first.</param>
/// <param name="Truncated">True when more files matched than were returned, or the walk stopped at its limit.</param>
public sealed record FileSearchResponse(string Query, IReadOnlyList<FileSearchMatch> Matches, bool Truncated);

/// <summary>One fuzzy file-name match.</summary>
/// <param name="Path">The file, relative to the workspace root.</param>
/// <param name="Score">Higher is better: contiguous runs, matches in the file name and at word starts, and short paths score more.</param>
public sealed record FileSearchMatch(string Path, int Score);
