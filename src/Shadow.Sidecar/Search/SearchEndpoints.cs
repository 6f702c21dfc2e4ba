namespace Shadow.Sidecar.Search;

/// <summary>The Search routes (to be filled in).</summary>
internal static class SearchEndpoints
{
    public static IServiceCollection AddSearch(this IServiceCollection services) => services;

    public static IEndpointRouteBuilder MapSearchApi(this IEndpointRouteBuilder app) => app;
}
