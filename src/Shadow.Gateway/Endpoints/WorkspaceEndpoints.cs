using System.Globalization;
using System.Net.ServerSentEvents;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Shadow.Gateway.Streaming;
using Shadow.Grains.Abstractions.Workspaces;
using Shadow.Sidecar.Contracts.Exec;
using Shadow.Sidecar.Contracts.Files;
using Shadow.Sidecar.Contracts.Git;
using Shadow.Sidecar.Contracts.Search;
using Shadow.Sidecar.Contracts.Terminal;

namespace Shadow.Gateway.Endpoints;

/// <summary>
/// <c>/api/tasks/{id}/workspace/*</c> and <c>/api/tasks/{id}/diff</c>: the workspace tools, each one call on the task's
/// <see cref="IWorkspaceGrain"/>. Bodies and answers are the sidecar's own contracts.
/// </summary>
internal static class WorkspaceEndpoints
{
    public static IEndpointRouteBuilder MapWorkspaceApi(this IEndpointRouteBuilder app)
    {
        var ws = app.MapOwnedTaskGroup("/workspace").WithTags("Workspace")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        ws.MapGet("/files/read", ReadFileAsync).WithName("ReadFile").WithSummary("Read a text file (a range of lines)");
        ws.MapPost("/files/write", WriteFileAsync).WithName("WriteFile").WithSummary("Write a file atomically");
        ws.MapPost("/files/delete", DeleteFileAsync).WithName("DeleteFile").WithSummary("Delete a file or folder");
        ws.MapGet("/files/stats", GetFileStatsAsync).WithName("GetFileStats").WithSummary("One entry's stats");
        ws.MapGet("/files/list", ListFilesAsync).WithName("ListFiles").WithSummary("List a folder");
        ws.MapGet("/files/list-recursive", ListFilesRecursiveAsync).WithName("ListFilesRecursive")
            .WithSummary("List a folder recursively (bounded; skips .git)");
        ws.MapPost("/files/search-replace", SearchReplaceAsync).WithName("SearchReplace").WithSummary("Replace one exact, unique occurrence");
        ws.MapGet("/search/files", SearchFilesAsync).WithName("SearchFiles").WithSummary("Fuzzy file-name search");
        ws.MapPost("/search/grep", GrepAsync).WithName("Grep").WithSummary("Regex search through file contents");
        ws.MapPost("/exec", ExecAsync).WithName("Exec").WithSummary("Run a command and answer when it ended");
        ws.MapPost("/exec/stream", ExecStreamAsync).WithName("ExecStream")
            .WithSummary("Run a command; SSE events start, stdout, stderr, gap, exit")
            .Produces<TerminalEntry>(StatusCodes.Status200OK, EventStreamResult.ContentType);
        ws.MapPost("/exec/background", StartBackgroundAsync).WithName("StartBackground").WithSummary("Start a background command");
        ws.MapGet("/exec/background", ListBackgroundAsync).WithName("ListBackground").WithSummary("List the background commands");
        ws.MapGet("/exec/background/{cmdId}/output", GetBackgroundOutputAsync).WithName("GetBackgroundOutput")
            .WithSummary("A background command's output after a seq");
        ws.MapPost("/exec/background/{cmdId}/kill", KillBackgroundAsync).WithName("KillBackground")
            .WithSummary("End a background command and its process group");
        ws.MapGet("/git/status", GitStatusAsync).WithName("GitStatus").WithSummary("The working tree's status");

        var task = app.MapOwnedTaskGroup().WithTags("Workspace");
        task.MapGet("/diff", GitDiffAsync).WithName("GetDiff").WithSummary("The diff of the working tree against the base branch");
        return app;
    }

    private static IWorkspaceGrain Workspace(this IGrainFactory grains, string id) => grains.GetGrain<IWorkspaceGrain>(id);

    private static async Task<Ok<ReadFileResponse>> ReadFileAsync(string id, string path, int? offset, int? limit, IGrainFactory grains,
        CancellationToken cancellationToken) =>
        TypedResults.Ok(await grains.Workspace(id).ReadFileAsync(path, offset, limit, cancellationToken));

    private static async Task<Ok<WriteFileResponse>> WriteFileAsync(string id, WriteFileRequest request, IGrainFactory grains,
        CancellationToken cancellationToken) =>
        TypedResults.Ok(await grains.Workspace(id).WriteFileAsync(request, cancellationToken));

    private static async Task<Ok<DeleteFileResponse>> DeleteFileAsync(string id, DeleteFileRequest request, IGrainFactory grains,
        CancellationToken cancellationToken) =>
        TypedResults.Ok(await grains.Workspace(id).DeleteFileAsync(request, cancellationToken));

    private static async Task<Ok<FileStatsResponse>> GetFileStatsAsync(string id, string path, IGrainFactory grains,
        CancellationToken cancellationToken) =>
        TypedResults.Ok(await grains.Workspace(id).GetFileStatsAsync(path, cancellationToken));

    private static async Task<Ok<ListFilesResponse>> ListFilesAsync(string id, string? path, IGrainFactory grains,
        CancellationToken cancellationToken) =>
        TypedResults.Ok(await grains.Workspace(id).ListFilesAsync(path, cancellationToken));

    private static async Task<Ok<ListRecursiveResponse>> ListFilesRecursiveAsync(string id, string? path, int? maxEntries,
        IGrainFactory grains, CancellationToken cancellationToken) =>
        TypedResults.Ok(await grains.Workspace(id).ListFilesRecursiveAsync(path, maxEntries, cancellationToken));

    private static async Task<Ok<SearchReplaceResponse>> SearchReplaceAsync(string id, SearchReplaceRequest request, IGrainFactory grains,
        CancellationToken cancellationToken) =>
        TypedResults.Ok(await grains.Workspace(id).SearchReplaceAsync(request, cancellationToken));

    private static async Task<Ok<FileSearchResponse>> SearchFilesAsync(string id, string query, int? limit, IGrainFactory grains,
        CancellationToken cancellationToken) =>
        TypedResults.Ok(await grains.Workspace(id).SearchFilesAsync(query, limit, cancellationToken));

    private static async Task<Ok<GrepResponse>> GrepAsync(string id, GrepRequest request, IGrainFactory grains,
        CancellationToken cancellationToken) =>
        TypedResults.Ok(await grains.Workspace(id).GrepAsync(request, cancellationToken));

    private static async Task<Ok<ExecResponse>> ExecAsync(string id, ExecRequest request, IGrainFactory grains,
        CancellationToken cancellationToken) =>
        TypedResults.Ok(await grains.Workspace(id).ExecAsync(request, cancellationToken));

    // The first event (start) is awaited before the response begins, so a refused command (archived task, bad cwd, no
    // workspace) still answers its own problem status rather than a 200 stream that ends at once.
    private static async Task<EventStreamResult> ExecStreamAsync(string id, ExecRequest request, IGrainFactory grains,
        IOptions<JsonOptions> json, CancellationToken cancellationToken)
    {
        var events = grains.Workspace(id).ExecStreamAsync(request, cancellationToken).GetAsyncEnumerator(cancellationToken);
        try
        {
            var first = await events.MoveNextAsync() ? events.Current : null;
            return new(ToItems(first, events), json.Value.SerializerOptions);
        }
        catch
        {
            await events.DisposeAsync();
            throw;
        }
    }

    // One SSE event per grain event, named as the sidecar names them; output entries carry their seq as the event id.
    private static async IAsyncEnumerable<SseItem<object?>> ToItems(ExecStreamEvent? first, IAsyncEnumerator<ExecStreamEvent> rest)
    {
        await using var events = rest;
        for (var e = first; e is not null; e = await events.MoveNextAsync() ? events.Current : null)
        {
            var name = e.Type switch
            {
                ExecStreamEventType.Start => "start",
                ExecStreamEventType.Stdout => "stdout",
                ExecStreamEventType.Stderr => "stderr",
                ExecStreamEventType.Gap => "gap",
                _ => "exit",
            };
            object? payload = e.Type switch
            {
                ExecStreamEventType.Start => e.Started,
                ExecStreamEventType.Exit => e.Exit,
                _ => e.Output,
            };
            yield return new SseItem<object?>(payload, name)
            {
                EventId = e.Output?.Seq.ToString(CultureInfo.InvariantCulture),
            };
        }
    }

    private static async Task<Ok<BackgroundExecStarted>> StartBackgroundAsync(string id, BackgroundExecRequest request, IGrainFactory grains,
        CancellationToken cancellationToken) =>
        TypedResults.Ok(await grains.Workspace(id).StartBackgroundAsync(request, cancellationToken));

    private static async Task<Ok<BackgroundCommandList>> ListBackgroundAsync(string id, IGrainFactory grains,
        CancellationToken cancellationToken) =>
        TypedResults.Ok(await grains.Workspace(id).ListBackgroundAsync(cancellationToken));

    private static async Task<Ok<BackgroundOutputResponse>> GetBackgroundOutputAsync(string id, string cmdId, long? since, int? limit,
        IGrainFactory grains, CancellationToken cancellationToken) =>
        TypedResults.Ok(await grains.Workspace(id).GetBackgroundOutputAsync(cmdId, since, limit, cancellationToken));

    private static async Task<Ok<BackgroundCommandInfo>> KillBackgroundAsync(string id, string cmdId, IGrainFactory grains,
        CancellationToken cancellationToken) =>
        TypedResults.Ok(await grains.Workspace(id).KillBackgroundAsync(cmdId, cancellationToken));

    private static async Task<Ok<GitStatusResponse>> GitStatusAsync(string id, IGrainFactory grains, CancellationToken cancellationToken) =>
        TypedResults.Ok(await grains.Workspace(id).GitStatusAsync(cancellationToken));

    private static async Task<Ok<GitDiffResponse>> GitDiffAsync(string id, [Microsoft.AspNetCore.Mvc.FromQuery(Name = "base")] string? baseBranch,
        IGrainFactory grains, CancellationToken cancellationToken) =>
        TypedResults.Ok(await grains.Workspace(id).GitDiffAsync(baseBranch, cancellationToken));
}
