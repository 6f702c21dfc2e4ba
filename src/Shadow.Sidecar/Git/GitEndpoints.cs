namespace Shadow.Sidecar.Git;

/// <summary>The Git routes (to be filled in).</summary>
internal static class GitEndpoints
{
    public static IServiceCollection AddGit(this IServiceCollection services) => services;

    public static IEndpointRouteBuilder MapGitApi(this IEndpointRouteBuilder app) => app;
}
