using Microsoft.AspNetCore.Http.HttpResults;
using Orleans.Runtime;
using Shadow.Gateway.Contracts;
using Shadow.Grains.Agent;
using Shadow.Grains.Runtime.Local;

namespace Shadow.Gateway.Endpoints;

/// <summary>
/// <c>GET /healthz</c>: liveness and readiness. Co-hosted: the local silo is an active cluster member. Client mode: the cluster
/// answers through the client and has at least one active silo. No auth.
/// </summary>
internal static class HealthEndpoints
{
    private static readonly TimeSpan ClusterProbeTimeout = TimeSpan.FromSeconds(5);

    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", GetHealthAsync).WithName("Health").WithSummary("Liveness and readiness").WithTags("Health").AllowAnonymous()
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    private static async Task<Results<Ok<HealthResponse>, ProblemHttpResult>> GetHealthAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var agent = services.GetService<ChatClientFactory>() is { } chats ? new AgentResponse(chats.Provider.ToString(), chats.ModelId, chats.IsScripted) : null;
        var sandbox = services.GetService<LocalProcessRuntime>()?.Sandbox;
        string[] warnings = sandbox == "None"
            ? ["SANDBOX OFF: Shadow:Runtime:Local:Sandbox=None, agent commands run unconfined on the host (development only)."]
            : [];
        if (services.GetService<ILocalSiloDetails>() is { } silo)
        {
            var status = services.GetRequiredService<IClusterMembershipService>().CurrentSnapshot.GetSiloStatus(silo.SiloAddress);
            var name = status.ToString().ToLowerInvariant();
            return status == SiloStatus.Active
                ? TypedResults.Ok(new HealthResponse("healthy", name, agent, sandbox?.ToLowerInvariant(), warnings))
                : TypedResults.Problem($"The co-hosted silo is not active (it is {name}).", statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        // Client mode: ask the cluster itself, bounded, so a lost connection answers 503 instead of hanging the probe.
        var client = services.GetRequiredService<IClusterClient>();
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(ClusterProbeTimeout);
            var hosts = await client.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true).WaitAsync(timeout.Token);
            return hosts.Count > 0
                ? TypedResults.Ok(new HealthResponse("healthy", $"client of {hosts.Count} active silo(s)", agent))
                : TypedResults.Problem("Connected to the cluster, but it has no active silo.", statusCode: StatusCodes.Status503ServiceUnavailable);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return TypedResults.Problem($"The gateway cannot reach the cluster as a client: {ex.GetType().Name}: {ex.Message}",
                statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }
}
