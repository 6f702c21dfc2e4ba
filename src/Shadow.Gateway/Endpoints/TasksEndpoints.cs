using System.Globalization;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http.HttpResults;
using JsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Shadow.Gateway.Auth;
using Shadow.Gateway.Contracts;
using Shadow.Gateway.Streaming;
using Shadow.Gateway.Tasks;
using Shadow.Grains.Abstractions.Errors;
using Shadow.Grains.Abstractions.Tasks;
using Shadow.Grains.Abstractions.Users;

namespace Shadow.Gateway.Endpoints;

/// <summary><c>/api/tasks</c>: create, list, read, archive, retry init, the chat (follow-ups, edit, stop, rollback), the live
/// events, and <c>/api/usage</c>.</summary>
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
        task.MapPut("/messages/{messageId}", EditMessageAsync).WithName("EditMessage")
            .WithSummary("Edit the last user message: the workspace goes back to before it and the turn runs again")
            .WithMetadata(new RequestSizeLimitAttribute(MaxBodyBytes)).ProducesProblem(StatusCodes.Status409Conflict);
        task.MapPost("/stop", StopTaskAsync).WithName("StopTask").WithSummary("Stop the running turn at its next safe point (what changed is committed)");
        task.MapPost("/rollback", RollbackTaskAsync).WithName("RollbackTask")
            .WithSummary("Reset the shadow branch to a checkpoint (refused if the remote moved) and drop later messages")
            .WithMetadata(new RequestSizeLimitAttribute(MaxBodyBytes)).ProducesProblem(StatusCodes.Status409Conflict);
        task.MapGet("/events", FollowEvents).WithName("FollowTaskEvents")
            .WithSummary("The task's live events as SSE: replay after Last-Event-ID or ?since=, then live")
            .Produces<TaskEventResponse>(StatusCodes.Status200OK, EventStreamResult.ContentType);

        app.MapGet("/api/usage", GetUsageAsync).RequireAuthorization().WithTags("Usage").WithName("GetUsage")
            .WithSummary("The caller's tokens and cost over every task");
        return app;
    }

    private static async Task<Results<Accepted<MessageResponse>, ValidationProblem>> EditMessageAsync(
        string id, string messageId, EditMessageRequest request, IGrainFactory grains, CancellationToken cancellationToken)
    {
        var errors = TaskValidation.Validate(request);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, detail: "The message cannot be edited as asked; see errors.");
        }

        var message = await grains.GetGrain<ITaskGrain>(id).EditMessageAsync(messageId, request.Content!, cancellationToken);
        return TypedResults.Accepted($"{TaskRoutes.TaskLocation(id)}/messages", message.ToResponse());
    }

    private static async Task<Ok<TaskResponse>> StopTaskAsync(string id, IGrainFactory grains, CancellationToken cancellationToken) =>
        TypedResults.Ok((await grains.GetGrain<ITaskGrain>(id).StopAsync(cancellationToken)).ToResponse());

    private static async Task<Results<Ok<TaskResponse>, ValidationProblem>> RollbackTaskAsync(
        string id, RollbackRequest request, IGrainFactory grains, CancellationToken cancellationToken)
    {
        var errors = TaskValidation.Validate(request);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, detail: "The task cannot be rolled back as asked; see errors.");
        }

        return TypedResults.Ok((await grains.GetGrain<ITaskGrain>(id).RollbackAsync(request.MessageId!, cancellationToken)).ToResponse());
    }

    private static EventStreamResult FollowEvents(string id, long? since, HttpRequest request, IGrainFactory grains, FeedFollower follower,
        IOptions<JsonOptions> json, CancellationToken cancellationToken)
    {
        var from = ResumePoint.From(request, since);
        var grain = grains.GetGrain<ITaskEventsGrain>(id);
        var events = follower.FollowAsync("events", id, from, grain.FollowAsync, static e => e.Seq, cancellationToken);
        return new(ToItems(events, cancellationToken), json.Value.SerializerOptions);
    }

    private static async IAsyncEnumerable<SseItem<object?>> ToItems(IAsyncEnumerable<TaskEvent> events,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var e in events.WithCancellation(cancellationToken))
        {
            var response = e.ToResponse();
            yield return new SseItem<object?>(response, response.Kind) { EventId = e.Seq.ToString(CultureInfo.InvariantCulture) };
        }
    }

    private static async Task<Ok<UsageResponse>> GetUsageAsync(CurrentUser user, IGrainFactory grains, CancellationToken cancellationToken) =>
        TypedResults.Ok((await grains.GetGrain<IUserGrain>(user.Id).GetUsageAsync(cancellationToken)).ToResponse());

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
