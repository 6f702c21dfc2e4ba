namespace Shadow.Sidecar.Watch;

/// <summary>The Watch routes (to be filled in).</summary>
internal static class WatchEndpoints
{
    public static IServiceCollection AddWatch(this IServiceCollection services) => services;

    public static IEndpointRouteBuilder MapWatchApi(this IEndpointRouteBuilder app) => app;
}
