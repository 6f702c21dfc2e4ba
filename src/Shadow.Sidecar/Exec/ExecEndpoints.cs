namespace Shadow.Sidecar.Exec;

/// <summary>The Exec routes (to be filled in).</summary>
internal static class ExecEndpoints
{
    public static IServiceCollection AddExec(this IServiceCollection services) => services;

    public static IEndpointRouteBuilder MapExecApi(this IEndpointRouteBuilder app) => app;
}
