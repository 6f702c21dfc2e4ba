using Shadow.Gateway.Auth;
using Shadow.Gateway.Tasks;

namespace Shadow.Gateway.Endpoints;

/// <summary>The route groups every task endpoint hangs from.</summary>
internal static class TaskRoutes
{
    public const string Tasks = "/api/tasks";

    /// <summary>A task-scoped group: the id must be well formed (else no route: 404) and the caller's task (else 404).</summary>
    public static RouteGroupBuilder MapOwnedTaskGroup(this IEndpointRouteBuilder app, string suffix = "")
    {
        var group = app.MapGroup($"{Tasks}/{{id:{TaskIds.RouteConstraint}}}{suffix}").RequireAuthorization();
        group.AddEndpointFilter(EnsureOwnedAsync);
        return group;
    }

    public static string TaskLocation(string id) => $"{Tasks}/{id}";

    private static async ValueTask<object?> EnsureOwnedAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var id = (string)http.Request.RouteValues["id"]!;
        var user = http.RequestServices.GetRequiredService<CurrentUser>();
        await http.RequestServices.GetRequiredService<TaskAccess>().EnsureOwnedAsync(user.Id, id, http.RequestAborted);
        return await next(context);
    }
}
