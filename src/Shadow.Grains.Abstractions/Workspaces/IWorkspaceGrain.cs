using Shadow.Sidecar.Contracts.Exec;
using Shadow.Sidecar.Contracts.Files;
using Shadow.Sidecar.Contracts.Git;
using Shadow.Sidecar.Contracts.Search;

namespace Shadow.Grains.Abstractions.Workspaces;

/// <summary>
/// A task's workspace (keyed by the task id): the tools that reach its sidecar. A call on a reclaimed or dead workspace
/// brings it back from the shadow branch first; a call on a deleted one throws <see cref="Errors.TaskConflictException"/>;
/// an error the sidecar answered surfaces as <see cref="Errors.WorkspaceProblemException"/> with its status and detail.
/// Requests and responses are the sidecar's own contracts (<c>Shadow.Sidecar.Contracts</c>).
/// </summary>
[Alias("shadow.workspace")]
public interface IWorkspaceGrain : IGrainWithStringKey
{
    /// <summary>The workspace as it stands.</summary>
    Task<WorkspaceInfo> GetInfoAsync(CancellationToken cancellationToken = default);

    /// <summary>Reads a text file (lines <paramref name="offset"/> onwards, at most <paramref name="limit"/>).</summary>
    Task<ReadFileResponse> ReadFileAsync(string path, int? offset = null, int? limit = null, CancellationToken cancellationToken = default);

    /// <summary>Writes a file atomically.</summary>
    Task<WriteFileResponse> WriteFileAsync(WriteFileRequest request, CancellationToken cancellationToken = default);

    /// <summary>Deletes a file or folder.</summary>
    Task<DeleteFileResponse> DeleteFileAsync(DeleteFileRequest request, CancellationToken cancellationToken = default);

    /// <summary>One entry's stats.</summary>
    Task<FileStatsResponse> GetFileStatsAsync(string path, CancellationToken cancellationToken = default);

    /// <summary>Lists a folder.</summary>
    Task<ListFilesResponse> ListFilesAsync(string? path = null, CancellationToken cancellationToken = default);

    /// <summary>Lists a folder recursively (bounded; skips <c>.git</c>).</summary>
    Task<ListRecursiveResponse> ListFilesRecursiveAsync(string? path = null, int? maxEntries = null, CancellationToken cancellationToken = default);

    /// <summary>Replaces one exact, unique occurrence.</summary>
    Task<SearchReplaceResponse> SearchReplaceAsync(SearchReplaceRequest request, CancellationToken cancellationToken = default);

    /// <summary>Fuzzy file-name search.</summary>
    Task<FileSearchResponse> SearchFilesAsync(string query, int? limit = null, CancellationToken cancellationToken = default);

    /// <summary>Regex search through file contents.</summary>
    Task<GrepResponse> GrepAsync(GrepRequest request, CancellationToken cancellationToken = default);

    /// <summary>Runs a command in the foreground and answers when it ended (or timed out).</summary>
    [ResponseTimeout("01:05:00")]
    Task<ExecResponse> ExecAsync(ExecRequest request, CancellationToken cancellationToken = default);

    /// <summary>Runs a command and yields its output as it happens, then its exit.</summary>
    IAsyncEnumerable<ExecStreamEvent> ExecStreamAsync(ExecRequest request, CancellationToken cancellationToken = default);

    /// <summary>Starts a background command.</summary>
    Task<BackgroundExecStarted> StartBackgroundAsync(BackgroundExecRequest request, CancellationToken cancellationToken = default);

    /// <summary>Lists the background commands.</summary>
    Task<BackgroundCommandList> ListBackgroundAsync(CancellationToken cancellationToken = default);

    /// <summary>A background command's output after <paramref name="since"/>.</summary>
    Task<BackgroundOutputResponse> GetBackgroundOutputAsync(string id, long? since = null, int? limit = null, CancellationToken cancellationToken = default);

    /// <summary>Ends a background command and its whole process group.</summary>
    Task<BackgroundCommandInfo> KillBackgroundAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>The working tree's status.</summary>
    Task<GitStatusResponse> GitStatusAsync(CancellationToken cancellationToken = default);

    /// <summary>The diff of the working tree against <paramref name="baseBranch"/> (null: the task's base branch).</summary>
    Task<GitDiffResponse> GitDiffAsync(string? baseBranch = null, CancellationToken cancellationToken = default);
}
