using System.Reflection;
using Shadow.Sidecar.Contracts;
using Shadow.Sidecar.Contracts.Common;
using Shadow.Sidecar.Exec;
using Shadow.Sidecar.Git;
using Shadow.Sidecar.Security;

namespace Shadow.Sidecar.Health;

/// <summary><c>/health</c> (no auth) and <c>/status</c>.</summary>
internal static class HealthEndpoints
{
    public static readonly string Version =
        typeof(HealthEndpoints).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    public static IServiceCollection AddHealth(this IServiceCollection services) =>
        services.AddSingleton(sp => new SidecarClock(sp.GetRequiredService<TimeProvider>()));

    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapGet(SidecarRoutes.Health, GetHealth).WithName("Health").WithTags("Health");
        app.MapGet(SidecarRoutes.Status, GetStatus).WithName("Status").WithTags("Health");
        return app;
    }

    private static HealthResponse GetHealth() => new("ok", Version);

    private static async Task<StatusResponse> GetStatus(PathGuard guard, SidecarClock clock, TimeProvider time, GitService git, ExecService exec,
        CancellationToken cancellationToken)
    {
        var (branch, commit) = await git.TryGetHeadAsync(cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow();
        return new StatusResponse(guard.Root, Version, clock.StartedAt, (now - clock.StartedAt).TotalSeconds, branch, commit, exec.Sandbox.Summary);
    }
}

/// <summary>When this sidecar started.</summary>
internal sealed class SidecarClock(TimeProvider time)
{
    public DateTimeOffset StartedAt { get; } = time.GetUtcNow();
}
