namespace Shadow.Sidecar.Terminal;

/// <summary>The Terminal routes (to be filled in).</summary>
internal static class TerminalEndpoints
{
    public static IServiceCollection AddTerminal(this IServiceCollection services) => services;

    public static IEndpointRouteBuilder MapTerminalApi(this IEndpointRouteBuilder app) => app;
}
