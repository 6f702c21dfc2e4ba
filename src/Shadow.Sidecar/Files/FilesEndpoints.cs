namespace Shadow.Sidecar.Files;

/// <summary>The Files routes (to be filled in).</summary>
internal static class FilesEndpoints
{
    public static IServiceCollection AddFiles(this IServiceCollection services) => services;

    public static IEndpointRouteBuilder MapFilesApi(this IEndpointRouteBuilder app) => app;
}
