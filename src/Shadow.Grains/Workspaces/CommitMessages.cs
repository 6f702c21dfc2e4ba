using Shadow.Sidecar.Contracts.Git;

namespace Shadow.Grains.Workspaces;

/// <summary>The deterministic commit message used when the model wrote none: what changed, file by file.</summary>
public static class CommitMessages
{
    private const int MaxListedFiles = 20;

    /// <summary>A subject line with the counts per kind of change, then the changed paths (at most 20, sorted).</summary>
    public static string Summarize(GitStatusResponse status)
    {
        ArgumentNullException.ThrowIfNull(status);
        var files = status.Files.OrderBy(f => f.Path, StringComparer.Ordinal).ToList();
        var counts = files
            .GroupBy(f => Verb(f.State))
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => $"{g.Key} {g.Count()}");
        var subject = files.Count == 1
            ? $"Shadow: {Verb(files[0].State)} {files[0].Path}"
            : $"Shadow: {string.Join(", ", counts)} files";
        var lines = files.Take(MaxListedFiles).Select(f => f.OldPath is { } old ? $"- {Verb(f.State)} {old} -> {f.Path}" : $"- {Verb(f.State)} {f.Path}");
        var more = files.Count > MaxListedFiles ? $"\n- and {files.Count - MaxListedFiles} more" : "";
        return $"{subject}\n\n{string.Join('\n', lines)}{more}";
    }

    private static string Verb(GitFileState state) => state switch
    {
        GitFileState.Added or GitFileState.Untracked => "add",
        GitFileState.Deleted => "delete",
        GitFileState.Renamed => "rename",
        _ => "update",
    };
}
