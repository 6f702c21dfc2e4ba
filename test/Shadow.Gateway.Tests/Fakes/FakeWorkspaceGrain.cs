using System.Runtime.CompilerServices;
using Shadow.Grains.Abstractions.Errors;
using Shadow.Grains.Abstractions.Tasks;
using Shadow.Grains.Abstractions.Workspaces;
using Shadow.Sidecar.Contracts.Exec;
using Shadow.Sidecar.Contracts.Files;
using Shadow.Sidecar.Contracts.Git;
using Shadow.Sidecar.Contracts.Search;
using Shadow.Sidecar.Contracts.Terminal;

namespace Shadow.Gateway.Tests.Fakes;

/// <summary>
/// In-memory workspace: files in a dictionary, exec echoes the command. Path "unavailable" throws
/// <see cref="WorkspaceUnavailableException"/>; an archived task throws <see cref="TaskConflictException"/>.
/// </summary>
public sealed class FakeWorkspaceGrain : Grain, IWorkspaceGrain
{
    private static readonly DateTimeOffset Epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly Dictionary<string, string> _files = new(StringComparer.Ordinal);

    public Task<WorkspaceInfo> GetInfoAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult(new WorkspaceInfo(this.GetPrimaryKeyString(), WorkspacePhase.Ready, "Fake", "fake-1", 1, null, null, "main", null));

    public async Task<ReadFileResponse> ReadFileAsync(string path, int? offset = null, int? limit = null, CancellationToken cancellationToken = default)
    {
        await EnsureUsableAsync(path);
        return _files.TryGetValue(path, out var content)
            ? new ReadFileResponse(path, content, offset ?? 0, 1, 1, content.Length, false)
            : throw new WorkspaceProblemException(404, "Not found", $"'{path}' does not exist.");
    }

    public async Task<WriteFileResponse> WriteFileAsync(WriteFileRequest request, CancellationToken cancellationToken = default)
    {
        await EnsureUsableAsync(request.Path);
        var created = _files.TryAdd(request.Path, request.Content);
        _files[request.Path] = request.Content;
        return new WriteFileResponse(request.Path, request.Content.Length, created);
    }

    public async Task<DeleteFileResponse> DeleteFileAsync(DeleteFileRequest request, CancellationToken cancellationToken = default)
    {
        await EnsureUsableAsync(request.Path);
        return _files.Remove(request.Path)
            ? new DeleteFileResponse(request.Path, FileEntryType.File)
            : throw new WorkspaceProblemException(404, "Not found", $"'{request.Path}' does not exist.");
    }

    public async Task<FileStatsResponse> GetFileStatsAsync(string path, CancellationToken cancellationToken = default)
    {
        await EnsureUsableAsync(path);
        return new FileStatsResponse(path, FileEntryType.File, 0, Epoch, "0644", null);
    }

    public async Task<ListFilesResponse> ListFilesAsync(string? path = null, CancellationToken cancellationToken = default)
    {
        await EnsureUsableAsync(path);
        return new ListFilesResponse(path ?? "", [.. _files.Select(f => new FileEntry(f.Key, f.Key, FileEntryType.File, f.Value.Length))], false);
    }

    public async Task<ListRecursiveResponse> ListFilesRecursiveAsync(string? path = null, int? maxEntries = null, CancellationToken cancellationToken = default)
    {
        await EnsureUsableAsync(path);
        return new ListRecursiveResponse(path ?? "", [.. _files.Keys.Select(k => new RecursiveEntry(k, FileEntryType.File))], false);
    }

    public async Task<SearchReplaceResponse> SearchReplaceAsync(SearchReplaceRequest request, CancellationToken cancellationToken = default)
    {
        await EnsureUsableAsync(request.Path);
        throw new WorkspaceProblemException(409, "Conflict", $"'{request.OldString}' occurs 0 times in '{request.Path}'; it must occur exactly once.");
    }

    public async Task<FileSearchResponse> SearchFilesAsync(string query, int? limit = null, CancellationToken cancellationToken = default)
    {
        await EnsureUsableAsync(null);
        return new FileSearchResponse(query, [.. _files.Keys.Where(k => k.Contains(query, StringComparison.Ordinal)).Select(k => new FileSearchMatch(k, 1))], false);
    }

    public async Task<GrepResponse> GrepAsync(GrepRequest request, CancellationToken cancellationToken = default)
    {
        await EnsureUsableAsync(request.Path);
        return new GrepResponse([], false, _files.Count, []);
    }

    public async Task<ExecResponse> ExecAsync(ExecRequest request, CancellationToken cancellationToken = default)
    {
        await EnsureUsableAsync(request.Cwd);
        return new ExecResponse("c1", 0, request.Command + "\n", "", false, false, false, 1, false);
    }

    public async IAsyncEnumerable<ExecStreamEvent> ExecStreamAsync(ExecRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await EnsureUsableAsync(request.Cwd);
        yield return new ExecStreamEvent(ExecStreamEventType.Start, new ExecStartedEvent("c2", 42), null, null);
        yield return new ExecStreamEvent(ExecStreamEventType.Stdout, null, new TerminalEntry(7, Epoch, "c2", TerminalStream.Stdout, request.Command + "\n"), null);
        yield return new ExecStreamEvent(ExecStreamEventType.Exit, null, null, new ExecExitEvent("c2", 0, 1, false));
    }

    public async Task<BackgroundExecStarted> StartBackgroundAsync(BackgroundExecRequest request, CancellationToken cancellationToken = default)
    {
        await EnsureUsableAsync(request.Cwd);
        return new BackgroundExecStarted("b1", 43, Epoch);
    }

    public async Task<BackgroundCommandList> ListBackgroundAsync(CancellationToken cancellationToken = default)
    {
        await EnsureUsableAsync(null);
        return new BackgroundCommandList([]);
    }

    public async Task<BackgroundOutputResponse> GetBackgroundOutputAsync(string id, long? since = null, int? limit = null, CancellationToken cancellationToken = default)
    {
        await EnsureUsableAsync(null);
        throw new WorkspaceProblemException(404, "Not found", $"No background command has the id '{id}'.");
    }

    public async Task<BackgroundCommandInfo> KillBackgroundAsync(string id, CancellationToken cancellationToken = default)
    {
        await EnsureUsableAsync(null);
        throw new WorkspaceProblemException(404, "Not found", $"No background command has the id '{id}'.");
    }

    public async Task<GitStatusResponse> GitStatusAsync(CancellationToken cancellationToken = default)
    {
        await EnsureUsableAsync(null);
        return new GitStatusResponse($"shadow/task-{this.GetPrimaryKeyString()}", null, false, null, null, null, _files.Count == 0, []);
    }

    public async Task<GitDiffResponse> GitDiffAsync(string? baseBranch = null, CancellationToken cancellationToken = default)
    {
        await EnsureUsableAsync(null);
        return new GitDiffResponse(baseBranch ?? "main", null, "", false, 0, 0, 0, 0);
    }

    private async Task EnsureUsableAsync(string? path)
    {
        var id = this.GetPrimaryKeyString();
        if (path == "unavailable")
        {
            throw new WorkspaceUnavailableException(id, "The workspace is being re-created; retry shortly.");
        }

        var task = await GrainFactory.GetGrain<ITaskGrain>(id).GetAsync();
        if (task.Status == ShadowTaskStatus.Archived)
        {
            throw new TaskConflictException(id, "The task is archived: its workspace is gone.");
        }
    }
}
