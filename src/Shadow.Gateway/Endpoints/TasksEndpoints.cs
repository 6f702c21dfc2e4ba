using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Shadow.Gateway.Auth;
using Shadow.Gateway.Contracts;
using Shadow.Gateway.Tasks;
using Shadow.Grains.Abstractions.Errors;
using Shadow.Grains.Abstractions.Tasks;
using Shadow.Grains.Abstractions.Users;

namespace Shadow.Gateway.Endpoints;

/// <summary><c>/api/tasks</c>: create, list, read, archive, retry init, and the chat messages.</summary>
internal static class TasksEndpoints
{
    /// <summary>Bodies of task routes are small (a prompt is at most 100 KB); anything much larger answers 413 before it is read.</summary>
    public const long MaxBodyBytes = 1024 * 1024;

    /// <summary>How many tasks <c>GET /api/tasks</c> reads at most (one grain call each, all at once).</summary>
    public const int MaxListedTasks = 100;

    public static IEndpointRouteBuilder MapTasksApi(this IEndpointRouteBuilder app)
    {
        var tasks = app.MapGroup(TaskRoutes.Tasks).RequireAuthorization().WithTags("Tasks");
        tasks.MapPost("/", CreateTaskAsync).WithName("CreateTask").WithSummary("Create a task on a repository")
            .WithMetadata(new RequestSizeLimitAttribute(MaxBodyBytes)).Accepts<CreateTaskRequest>("application/json")
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        tasks.MapGet("/", ListTasksAsync).WithName("ListTasks").WithSummary("The caller's tasks, newest first");

        var task = app.MapOwnedTaskGroup().WithTags("Tasks").ProducesProblem(StatusCodes.Status404NotFound);
        task.MapGet("/", GetTaskAsync).WithName("GetTask").WithSummary("One task: status, init steps, branch, error");
        task.MapPost("/archive", ArchiveTaskAsync).WithName("ArchiveTask").WithSummary("Destroy the workspace; keep the branch and history");
        task.MapPost("/retry", RetryTaskInitAsync).WithName("RetryTaskInit").WithSummary("Run init again from the step that failed")
            .ProducesProblem(StatusCodes.Status409Conflict);
        task.MapGet("/messages", GetMessagesAsync).WithName("GetMessages").WithSummary("The chat history, oldest first");
        task.MapPost("/messages", PostMessageAsync).WithName("PostMessage").WithSummary("Send a follow-up (queued while a turn runs)")
            .WithMetadata(new RequestSizeLimitAttribute(MaxBodyBytes)).ProducesProblem(StatusCodes.Status409Conflict);
        return app;
    }

    private static async Task<Results<Created<TaskResponse>, ValidationProblem>> CreateTaskAsync(
        CreateTaskRequest request, CurrentUser user, TaskAccess access, IGrainFactory grains, CancellationToken cancellationToken)
    {
        var errors = TaskValidation.Validate(request);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, detail: "The task cannot be created as asked; see errors.");
        }

        var id = TaskIds.NewId();
        var userId = user.Id;
        var command = new CreateTaskCommand(userId, request.RepoUrl!, request.BaseBranch, request.Prompt!, request.Title, request.Model);
        var snapshot = await grains.GetGrain<ITaskGrain>(id).CreateAsync(command, cancellationToken);
        await grains.GetGrain<IUserGrain>(userId).AddTaskAsync(id, cancellationToken);
        access.Remember(userId, id);
        return TypedResults.Created(TaskRoutes.TaskLocation(id), snapshot.ToResponse());
    }

    private static async Task<Ok<TaskResponse[]>> ListTasksAsync(CurrentUser user, IGrainFactory grains, CancellationToken cancellationToken)
    {
        var ids = await grains.GetGrain<IUserGrain>(user.Id).ListTaskIdsAsync(cancellationToken);
        var reads = ids.Take(MaxListedTasks).Select(id => TryGetAsync(grains.GetGrain<ITaskGrain>(id), cancellationToken));
        var tasks = await Task.WhenAll(reads);
        return TypedResults.Ok(tasks.OfType<TaskSnapshot>().Select(t => t.ToResponse()).ToArray());
    }

    // An id indexed before its task was created (or whose creation failed) is skipped, not an error for the whole list.
    private static async Task<TaskSnapshot?> TryGetAsync(ITaskGrain task, CancellationToken cancellationToken)
    {
        try
        {
            return await task.GetAsync(cancellationToken);
        }
        catch (TaskNotFoundException)
        {
            return null;
        }
    }

    private static async Task<Ok<TaskResponse>> GetTaskAsync(string id, IGrainFactory grains, CancellationToken cancellationToken) =>
        TypedResults.Ok((await grains.GetGrain<ITaskGrain>(id).GetAsync(cancellationToken)).ToResponse());

    private static async Task<Ok<TaskResponse>> ArchiveTaskAsync(string id, IGrainFactory grains, CancellationToken cancellationToken) =>
        TypedResults.Ok((await grains.GetGrain<ITaskGrain>(id).ArchiveAsync(cancellationToken)).ToResponse());

    private static async Task<Ok<TaskResponse>> RetryTaskInitAsync(string id, IGrainFactory grains, CancellationToken cancellationToken) =>
        TypedResults.Ok((await grains.GetGrain<ITaskGrain>(id).RetryInitAsync(cancellationToken)).ToResponse());

    private static async Task<Ok<MessageResponse[]>> GetMessagesAsync(string id, IGrainFactory grains, CancellationToken cancellationToken)
    {
        var messages = await grains.GetGrain<ITaskGrain>(id).GetMessagesAsync(cancellationToken);
        return TypedResults.Ok(messages.Select(m => m.ToResponse()).ToArray());
    }

    private static async Task<Results<Accepted<MessageResponse>, ValidationProblem>> PostMessageAsync(
        string id, PostMessageRequest request, IGrainFactory grains, CancellationToken cancellationToken)
    {
        var errors = TaskValidation.Validate(request);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, detail: "The message cannot be sent as asked; see errors.");
        }

        var message = await grains.GetGrain<ITaskGrain>(id).PostMessageAsync(request.Content!, cancellationToken);
        return TypedResults.Accepted($"{TaskRoutes.TaskLocation(id)}/messages", message.ToResponse());
    }
}
