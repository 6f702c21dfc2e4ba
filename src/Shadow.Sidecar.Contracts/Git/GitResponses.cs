using System.Text.Json.Serialization;

namespace Shadow.Sidecar.Contracts.Git;

/// <summary>Answer of <c>POST /git/clone</c>.</summary>
/// <param name="RemoteUrl">The remote URL as stored in the repository (never with user info).</param>
/// <param name="Branch">The checked-out branch (null if the remote is empty).</param>
/// <param name="Commit">The HEAD commit, or null for an empty remote.</param>
/// <param name="Shallow">Whether the clone is shallow.</param>
public sealed record GitCloneResponse(string RemoteUrl, string? Branch, string? Commit, bool Shallow);

/// <summary>Answer of <c>POST /git/config</c>: the repository's identity after the change.</summary>
/// <param name="UserName">Effective <c>user.name</c>, or null.</param>
/// <param name="UserEmail">Effective <c>user.email</c>, or null.</param>
public sealed record GitConfigResponse(string? UserName, string? UserEmail);

/// <summary>Answer of <c>POST /git/branch</c>.</summary>
/// <param name="Name">The branch's short name.</param>
/// <param name="Commit">The commit it points at.</param>
/// <param name="CheckedOut">Whether it is now the current branch.</param>
public sealed record GitBranchResponse(string Name, string Commit, bool CheckedOut);

/// <summary>Answer of <c>GET /git/head</c> and <c>POST /git/checkout</c>.</summary>
/// <param name="Branch">Current branch (also for an unborn branch), or null when detached.</param>
/// <param name="Commit">HEAD commit sha, or null before the first commit.</param>
/// <param name="Detached">Whether HEAD is detached.</param>
public sealed record GitHeadResponse(string? Branch, string? Commit, bool Detached);

/// <summary>How a file differs.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<GitFileState>))]
public enum GitFileState
{
    /// <summary>New and staged, or new relative to the base.</summary>
    Added,
    /// <summary>Content changed.</summary>
    Modified,
    /// <summary>Removed.</summary>
    Deleted,
    /// <summary>Moved (see <c>OldPath</c>).</summary>
    Renamed,
    /// <summary>New and not staged.</summary>
    Untracked,
    /// <summary>Changed kind (file, link, submodule).</summary>
    TypeChanged,
    /// <summary>Unmerged after a conflicting merge.</summary>
    Conflicted,
}

/// <summary>One changed path in <c>GET /git/status</c>.</summary>
/// <param name="Path">Path relative to the workspace root, forward slashes.</param>
/// <param name="State">The change (index and working tree combined).</param>
/// <param name="OldPath">The former path of a rename.</param>
/// <param name="Staged">Whether the change is (at least partly) staged in the index.</param>
public sealed record GitStatusEntry(string Path, GitFileState State, string? OldPath, bool Staged);

/// <summary>Answer of <c>GET /git/status</c>.</summary>
/// <param name="Branch">Current branch, or null when detached.</param>
/// <param name="Commit">HEAD commit, or null before the first commit.</param>
/// <param name="Detached">Whether HEAD is detached.</param>
/// <param name="Upstream">The tracked remote branch (e.g. <c>origin/main</c>), or null.</param>
/// <param name="Ahead">Commits on the branch not on its upstream (null without upstream).</param>
/// <param name="Behind">Commits on the upstream not on the branch (null without upstream).</param>
/// <param name="Clean">No changes at all.</param>
/// <param name="Files">Every changed, untracked or conflicted path (ignored files are not listed).</param>
public sealed record GitStatusResponse(string? Branch, string? Commit, bool Detached, string? Upstream, int? Ahead, int? Behind, bool Clean,
    IReadOnlyList<GitStatusEntry> Files);

/// <summary>Answer of <c>GET /git/diff</c>: a unified patch (untracked files appear as additions).</summary>
/// <param name="Base">The base branch asked for, or null for the diff against HEAD.</param>
/// <param name="BaseCommit">The commit the patch is relative to (HEAD, or the merge base with <c>Base</c>), or null before the first commit.</param>
/// <param name="Patch">Unified diff text (<c>git diff</c> format), possibly truncated at a line boundary.</param>
/// <param name="Truncated">Whether <c>Patch</c> was cut at the size cap.</param>
/// <param name="TotalBytes">Size in UTF-8 bytes of the complete patch.</param>
/// <param name="FilesChanged">Number of files in the complete patch.</param>
/// <param name="LinesAdded">Lines added in the complete patch.</param>
/// <param name="LinesDeleted">Lines deleted in the complete patch.</param>
public sealed record GitDiffResponse(string? Base, string? BaseCommit, string Patch, bool Truncated, long TotalBytes, int FilesChanged,
    int LinesAdded, int LinesDeleted);

/// <summary>Answer of <c>POST /git/commit</c>.</summary>
/// <param name="Sha">The new commit.</param>
/// <param name="Branch">The branch it was committed on, or null when detached.</param>
/// <param name="FilesChanged">Files changed relative to the parent.</param>
public sealed record GitCommitResponse(string Sha, string? Branch, int FilesChanged);

/// <summary>Answer of <c>POST /git/push</c>.</summary>
/// <param name="Remote">The remote pushed to.</param>
/// <param name="Branch">The local branch pushed.</param>
/// <param name="RemoteRef">The remote reference updated (e.g. <c>refs/heads/main</c>).</param>
/// <param name="Sha">The sha the remote branch now points at.</param>
/// <param name="PreviousRemoteSha">Where the remote branch was before the push (null if it did not exist): keep it to roll back.</param>
/// <param name="Forced">Whether the push was forced.</param>
public sealed record GitPushResponse(string Remote, string Branch, string RemoteRef, string Sha, string? PreviousRemoteSha, bool Forced);

/// <summary>One commit in <c>GET /git/log</c>.</summary>
/// <param name="Sha">Commit sha.</param>
/// <param name="Message">Full message.</param>
/// <param name="Summary">First line of the message.</param>
/// <param name="AuthorName">Author name.</param>
/// <param name="AuthorEmail">Author email.</param>
/// <param name="Time">Author time.</param>
/// <param name="Parents">Parent shas.</param>
public sealed record GitLogEntry(string Sha, string Message, string Summary, string AuthorName, string AuthorEmail, DateTimeOffset Time,
    IReadOnlyList<string> Parents);

/// <summary>Answer of <c>GET /git/log</c>, newest first.</summary>
/// <param name="Ref">The reference walked (default HEAD).</param>
/// <param name="Commits">The commits.</param>
public sealed record GitLogResponse(string Ref, IReadOnlyList<GitLogEntry> Commits);

/// <summary>One file in <c>GET /git/changed-files</c>.</summary>
/// <param name="Path">Path relative to the workspace root.</param>
/// <param name="State">Change relative to the base (or to HEAD without a base); untracked files count as <c>Added</c> against a base.</param>
/// <param name="OldPath">The former path of a rename.</param>
/// <param name="Uncommitted">Whether the file has changes that are not committed yet.</param>
public sealed record GitChangedFile(string Path, GitFileState State, string? OldPath, bool Uncommitted);

/// <summary>Answer of <c>GET /git/changed-files</c>.</summary>
/// <param name="Base">The base branch asked for, or null (then only uncommitted changes are listed).</param>
/// <param name="BaseCommit">The merge base of <c>Base</c> and HEAD, or HEAD without a base.</param>
/// <param name="Files">The changed files, ordered by path.</param>
public sealed record GitChangedFilesResponse(string? Base, string? BaseCommit, IReadOnlyList<GitChangedFile> Files);
