using Shadow.Sidecar.Contracts;
using Shadow.Sidecar.Contracts.Files;

namespace Shadow.Sidecar.Files;

/// <summary>
/// <c>/files/*</c>: read, write (atomic), delete, stats, list, list-recursive and search-replace. The handlers are
/// synchronous on purpose: file I/O on Linux is synchronous underneath, and for small files the async state machine
/// costs more than the read itself.
/// </summary>
internal static class FilesEndpoints
{
    public static IServiceCollection AddFiles(this IServiceCollection services) => services.AddSingleton<FilesService>();

    public static IEndpointRouteBuilder MapFilesApi(this IEndpointRouteBuilder app)
    {
        var files = app.MapGroup(string.Empty).WithTags("Files");
        files.MapGet(SidecarRoutes.Files.Read, ReadFile).WithName("ReadFile");
        files.MapPost(SidecarRoutes.Files.Write, WriteFile).WithName("WriteFile");
        files.MapPost(SidecarRoutes.Files.Delete, DeleteFile).WithName("DeleteFile");
        files.MapGet(SidecarRoutes.Files.Stats, FileStats).WithName("FileStats");
        files.MapGet(SidecarRoutes.Files.List, ListFiles).WithName("ListFiles");
        files.MapGet(SidecarRoutes.Files.ListRecursive, ListRecursive).WithName("ListFilesRecursive");
        files.MapPost(SidecarRoutes.Files.SearchReplace, SearchReplace).WithName("SearchReplace");
        return app;
    }

    private static ReadFileResponse ReadFile(string? path, int? offset, int? limit, FilesService files) => files.Read(path, offset, limit);

    private static WriteFileResponse WriteFile(WriteFileRequest request, FilesService files) => files.Write(request);

    private static DeleteFileResponse DeleteFile(DeleteFileRequest request, FilesService files) => files.Delete(request);

    private static FileStatsResponse FileStats(string? path, FilesService files) => files.Stats(path);

    private static ListFilesResponse ListFiles(string? path, FilesService files) => files.List(path);

    private static ListRecursiveResponse ListRecursive(string? path, int? maxEntries, FilesService files) => files.ListRecursive(path, maxEntries);

    private static SearchReplaceResponse SearchReplace(SearchReplaceRequest request, FilesService files) => files.SearchReplace(request);
}
