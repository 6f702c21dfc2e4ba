namespace Shadow.Sidecar.Contracts.Search;

/// <summary>Body of <c>POST /search/grep</c>: a .NET regular expression matched line by line, in process.</summary>
/// <param name="Pattern">The .NET regular expression (matched against each line without its terminator).</param>
/// <param name="Path">File or folder to search, relative to the workspace root; the root when omitted.</param>
/// <param name="Include">Globs a file must match (any of them), e.g. <c>*.cs</c> or <c>src/**/*.ts</c>. A glob without
/// <c>/</c> matches the file name at any depth; one with <c>/</c> matches the path relative to the workspace root.</param>
/// <param name="Exclude">Globs that drop a file (same rules); a folder name such as <c>node_modules</c> drops everything below it.</param>
/// <param name="CaseSensitive">Default true.</param>
/// <param name="MaxResults">Most matching lines returned (default and ceiling configured on the sidecar).</param>
public sealed record GrepRequest(
    string Pattern,
    string? Path = null,
    IReadOnlyList<string>? Include = null,
    IReadOnlyList<string>? Exclude = null,
    bool? CaseSensitive = null,
    int? MaxResults = null);
