using Shadow.Sidecar.Contracts;
using Shadow.Sidecar.Contracts.Search;

namespace Shadow.Grains.Sidecar;

// Both searches only read: retried like any idempotent call.
public sealed partial class SidecarClient
{
    /// <summary><c>GET /search/files</c>: fuzzy file-name search, best matches first.</summary>
    public Task<FileSearchResponse> SearchFilesAsync(string query, int? limit = null, CancellationToken cancellationToken = default) =>
        GetAsync(WithQuery(SidecarRoutes.Search.Files, ("query", query), ("limit", limit)), SearchJsonContext.Default.FileSearchResponse, cancellationToken);

    /// <summary><c>POST /search/grep</c>: a .NET regex over file contents, in process on the sidecar.</summary>
    public Task<GrepResponse> GrepAsync(GrepRequest request, CancellationToken cancellationToken = default) =>
        PostAsync(SidecarRoutes.Search.Grep, request, SearchJsonContext.Default.GrepRequest, SearchJsonContext.Default.GrepResponse,
            idempotent: true, cancellationToken);
}
