namespace Shadow.Sidecar.Contracts.Search;

/// <summary>Answer of <c>POST /search/grep</c>.</summary>
/// <param name="Matches">Matching lines (one per line, at its first match), in path order.</param>
/// <param name="Truncated">True when the result or walk limit stopped the search early.</param>
/// <param name="FilesSearched">How many files were scanned.</param>
/// <param name="Skipped">Files not (fully) searched because they were too large, unreadable or the pattern timed out in them
/// (at most 100 listed). Binary files are skipped silently, like ripgrep does.</param>
public sealed record GrepResponse(IReadOnlyList<GrepMatch> Matches, bool Truncated, int FilesSearched, IReadOnlyList<GrepSkippedFile> Skipped);

/// <summary>One matching line.</summary>
/// <param name="Path">The file, relative to the workspace root.</param>
/// <param name="Line">1-based line number.</param>
/// <param name="Column">1-based column (UTF-16 code unit) of the first match on the line.</param>
/// <param name="Text">The line without its terminator; long lines are clipped around the match.</param>
public sealed record GrepMatch(string Path, int Line, int Column, string Text);

/// <summary>A file grep did not search (completely).</summary>
/// <param name="Path">The file, relative to the workspace root.</param>
/// <param name="Reason">Why, in words (e.g. "the pattern timed out after 1000 ms").</param>
public sealed record GrepSkippedFile(string Path, string Reason);
