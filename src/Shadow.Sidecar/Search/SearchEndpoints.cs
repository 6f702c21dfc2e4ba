using Shadow.Sidecar.Contracts;
using Shadow.Sidecar.Contracts.Search;

namespace Shadow.Sidecar.Search;

/// <summary><c>/search/files</c> (fuzzy file names) and <c>/search/grep</c> (regex over contents), both in process.</summary>
internal static class SearchEndpoints
{
    public static IServiceCollection AddSearch(this IServiceCollection services) => services.AddSingleton<SearchService>();

    public static IEndpointRouteBuilder MapSearchApi(this IEndpointRouteBuilder app)
    {
        var search = app.MapGroup(string.Empty).WithTags("Search");
        search.MapGet(SidecarRoutes.Search.Files, SearchFiles).WithName("SearchFiles");
        search.MapPost(SidecarRoutes.Search.Grep, Grep).WithName("Grep");
        return app;
    }

    private static FileSearchResponse SearchFiles(string? query, int? limit, SearchService search, CancellationToken cancellationToken) =>
        search.SearchFiles(query, limit, cancellationToken);

    private static GrepResponse Grep(GrepRequest request, SearchService search, CancellationToken cancellationToken) =>
        search.Grep(request, cancellationToken);
}
