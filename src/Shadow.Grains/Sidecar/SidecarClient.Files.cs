using Shadow.Sidecar.Contracts;
using Shadow.Sidecar.Contracts.Files;

namespace Shadow.Grains.Sidecar;

// Idempotency: reads, stats and listings are retried. A write sends the whole content, so repeating it leaves the
// same file: retried. A delete is retried too: if the first attempt deleted the path and only its answer was lost,
// the retry answers 404 and that surfaces as a SidecarProblemException (NotFound) - callers that only need the path
// gone treat NotFound as success. Search-replace is not idempotent (a retry could find 0 matches, or apply twice when
// newString still contains oldString): never retried.
public sealed partial class SidecarClient
{
    /// <summary><c>GET /files/read</c>: a text file, or <paramref name="limit"/> lines from the 0-based line <paramref name="offset"/>.</summary>
    public Task<ReadFileResponse> ReadFileAsync(string path, int? offset = null, int? limit = null, CancellationToken cancellationToken = default) =>
        GetAsync(WithQuery(SidecarRoutes.Files.Read, ("path", path), ("offset", offset), ("limit", limit)),
            FilesJsonContext.Default.ReadFileResponse, cancellationToken);

    /// <summary><c>POST /files/write</c>: replaces (or creates) the file atomically; retried (same bytes, same result).</summary>
    public Task<WriteFileResponse> WriteFileAsync(string path, string content, bool createDirectories = true, CancellationToken cancellationToken = default) =>
        PostAsync(SidecarRoutes.Files.Write, new WriteFileRequest(path, content, createDirectories),
            FilesJsonContext.Default.WriteFileRequest, FilesJsonContext.Default.WriteFileResponse, idempotent: true, cancellationToken);

    /// <summary><c>POST /files/delete</c>: a file, link or (with <paramref name="recursive"/>) a folder. Retried; a retry after a lost answer surfaces 404.</summary>
    public Task<DeleteFileResponse> DeleteFileAsync(string path, bool recursive = false, CancellationToken cancellationToken = default) =>
        PostAsync(SidecarRoutes.Files.Delete, new DeleteFileRequest(path, recursive),
            FilesJsonContext.Default.DeleteFileRequest, FilesJsonContext.Default.DeleteFileResponse, idempotent: true, cancellationToken);

    /// <summary><c>GET /files/stats</c>: type, size, modification time and mode (a link is described itself).</summary>
    public Task<FileStatsResponse> GetFileStatsAsync(string path, CancellationToken cancellationToken = default) =>
        GetAsync(WithQuery(SidecarRoutes.Files.Stats, ("path", path)), FilesJsonContext.Default.FileStatsResponse, cancellationToken);

    /// <summary><c>GET /files/list</c>: one folder's entries (the workspace root when <paramref name="path"/> is null or empty).</summary>
    public Task<ListFilesResponse> ListFilesAsync(string? path = null, CancellationToken cancellationToken = default) =>
        GetAsync(WithQuery(SidecarRoutes.Files.List, ("path", path)), FilesJsonContext.Default.ListFilesResponse, cancellationToken);

    /// <summary><c>GET /files/list-recursive</c>: a bounded walk below <paramref name="path"/> that skips <c>.git</c>.</summary>
    public Task<ListRecursiveResponse> ListFilesRecursiveAsync(string? path = null, int? maxEntries = null, CancellationToken cancellationToken = default) =>
        GetAsync(WithQuery(SidecarRoutes.Files.ListRecursive, ("path", path), ("maxEntries", maxEntries)),
            FilesJsonContext.Default.ListRecursiveResponse, cancellationToken);

    /// <summary><c>POST /files/search-replace</c>: replaces the one exact occurrence of <paramref name="oldString"/>; 409 when it occurs 0 or several times. Not retried.</summary>
    public Task<SearchReplaceResponse> SearchReplaceAsync(string path, string oldString, string newString, CancellationToken cancellationToken = default) =>
        PostAsync(SidecarRoutes.Files.SearchReplace, new SearchReplaceRequest(path, oldString, newString),
            FilesJsonContext.Default.SearchReplaceRequest, FilesJsonContext.Default.SearchReplaceResponse, idempotent: false, cancellationToken);
}
