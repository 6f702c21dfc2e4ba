using Microsoft.AspNetCore.Http.HttpResults;
using Orleans.Runtime;
using Shadow.Gateway.Contracts;
using Shadow.Grains.Agent;
using Shadow.Grains.Runtime.Local;

namespace Shadow.Gateway.Endpoints;

/// <summary><c>GET /healthz</c>: liveness and readiness (the co-hosted silo is an active cluster member). No auth.</summary>
internal static class HealthEndpoints
{
    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", GetHealth).WithName("Health").WithSummary("Liveness and readiness").WithTags("Health").AllowAnonymous()
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    private static Results<Ok<HealthResponse>, ProblemHttpResult> GetHealth(IClusterMembershipService membership, ILocalSiloDetails silo,
        IServiceProvider services)
    {
        var status = membership.CurrentSnapshot.GetSiloStatus(silo.SiloAddress);
        var name = status.ToString().ToLowerInvariant();
        var agent = services.GetService<ChatClientFactory>() is { } chats ? new AgentResponse(chats.Provider.ToString(), chats.ModelId, chats.IsScripted) : null;
        var sandbox = services.GetService<LocalProcessRuntime>()?.Sandbox;
        string[] warnings = sandbox == "None"
            ? ["SANDBOX OFF: Shadow:Runtime:Local:Sandbox=None, agent commands run unconfined on the host (development only)."]
            : [];
        return status == SiloStatus.Active
            ? TypedResults.Ok(new HealthResponse("healthy", name, agent, sandbox?.ToLowerInvariant(), warnings))
            : TypedResults.Problem($"The co-hosted silo is not active (it is {name}).", statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}
