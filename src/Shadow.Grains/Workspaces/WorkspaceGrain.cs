using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using Orleans.Runtime;
using Polly.CircuitBreaker;
using Polly.Timeout;
using Shadow.Grains.Abstractions.Errors;
using Shadow.Grains.Abstractions.Workspaces;
using Shadow.Grains.Runtime;
using Shadow.Grains.Sidecar;
using Shadow.Grains.Terminals;
using Shadow.Sidecar.Contracts.Exec;
using Shadow.Sidecar.Contracts.Files;
using Shadow.Sidecar.Contracts.Git;
using Shadow.Sidecar.Contracts.Search;

namespace Shadow.Grains.Workspaces;

/// <summary>
/// A task's workspace: drives its instance through <see cref="IWorkspaceRuntime"/>, watches it with a health timer,
/// brings it back from the shadow branch when its sidecar dies or after an idle reclaim (a reminder), and forwards the
/// tool calls to the sidecar through the one <see cref="SidecarClient"/>.
/// </summary>
/// <remarks>
/// Reentrant so that a long command does not hold up reads; every change of the instance (provision, restore, release,
/// delete) runs under one async lock, so tool calls only ever see a ready instance or wait for one.
/// </remarks>
[Reentrant]
public sealed partial class WorkspaceGrain(
    [PersistentState("workspace", StorageNames.Default)] IPersistentState<WorkspaceState> state,
    IWorkspaceRuntime runtime,
    SidecarClientFactory clients,
    IOptions<WorkspaceOptions> options,
    TimeProvider time,
    ILogger<WorkspaceGrain> logger) : Grain, IWorkspaceGrain, IWorkspaceLifecycleGrain, IRemindable
{
    internal const string IdleReminderName = "workspace-idle";
    private static readonly TimeSpan LastUsedPersistInterval = TimeSpan.FromMinutes(1);

    private readonly SemaphoreSlim _lifecycle = new(1, 1);
    private readonly WorkspaceOptions _options = options.Value;
    private IGrainTimer? _health;
    private int _healthFailures;
    private DateTimeOffset? _lastUsed;
    private DateTimeOffset? _lastUsedPersisted;

    private string TaskId => this.GetPrimaryKeyString();

    private WorkspaceState S => state.State;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _lastUsed = _lastUsedPersisted = S.LastUsedAt;
        if (S is { Phase: WorkspacePhase.Ready, Handle: { } handle })
        {
            // After a host restart the runtime no longer knows the instance: mark it failed; the next use restores it.
            var status = await runtime.GetStatusAsync(handle, cancellationToken);
            if (status.State is WorkspaceRuntimeState.Running or WorkspaceRuntimeState.Starting)
            {
                StartHealthTimer();
            }
            else
            {
                LogInformationInstanceGone(TaskId, handle.InstanceId, status.State);
                S.Phase = WorkspacePhase.Failed;
                S.Error = $"The workspace's instance {handle.InstanceId} is gone ({status.State}); it comes back on next use.";
                S.LastInstanceId = handle.InstanceId;
                S.Handle = null;
                await state.WriteStateAsync(cancellationToken);
            }
        }
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _health?.Dispose();
        if (_lastUsed != _lastUsedPersisted && S.Spec is not null)
        {
            S.LastUsedAt = _lastUsed;
            await state.WriteStateAsync(cancellationToken);
        }

        await base.OnDeactivateAsync(reason, cancellationToken);
    }

    // ---- lifecycle (driven by TaskGrain's init steps) ----

    Task IWorkspaceLifecycleGrain.ConfigureAsync(WorkspaceSpec spec, CancellationToken cancellationToken) =>
        UnderLockAsync(async () =>
        {
            ArgumentNullException.ThrowIfNull(spec);
            if (S.Spec == spec)
            {
                return;
            }

            if (S.Spec is not null && S.BranchPushed)
            {
                throw new TaskConflictException(TaskId, "The workspace already holds this task's branch; its spec cannot change.");
            }

            S.Spec = spec;
            await state.WriteStateAsync(cancellationToken);
        });

    Task<WorkspaceInfo> IWorkspaceLifecycleGrain.CreateAsync(CancellationToken cancellationToken) =>
        UnderLockAsync(async () =>
        {
            await EnsureInstanceAsync(cancellationToken);
            return Info();
        });

    Task<WorkspaceInfo> IWorkspaceLifecycleGrain.WaitReadyAsync(CancellationToken cancellationToken) =>
        UnderLockAsync(async () =>
        {
            var client = await EnsureInstanceAsync(cancellationToken);
            await WaitHealthyAsync(client, cancellationToken);
            return await MarkReadyAsync(cancellationToken);
        });

    Task<WorkspaceInfo> IWorkspaceLifecycleGrain.CloneAsync(CancellationToken cancellationToken) =>
        UnderLockAsync(async () =>
        {
            var spec = RequireSpec();
            var client = await EnsureReadyInstanceAsync(cancellationToken);
            var head = await TryGetHeadAsync(client, cancellationToken);
            if (head?.Commit is null)
            {
                // An empty workspace (a crash may have left a half clone: the sidecar empties the root when a clone fails).
                var clone = await client.GitCloneAsync(new GitCloneRequest(spec.RepoUrl, spec.BaseBranch), cancellationToken);
                if (clone.Commit is null)
                {
                    // Nothing to branch from. Drop the half-made workspace so a retry (after a push, or with a base branch) clones afresh.
                    await StopInstanceAsync(S.Handle!, deleteStorage: true, cancellationToken);
                    S.Handle = null;
                    S.LastInstanceId = null;
                    S.Phase = WorkspacePhase.None;
                    await state.WriteStateAsync(cancellationToken);
                    throw new WorkspaceProblemException(422, "Nothing to clone",
                        $"'{spec.RepoUrl}' has no commit on {(spec.BaseBranch is null ? $"its default branch '{clone.Branch ?? "HEAD"}'" : $"'{spec.BaseBranch}'")}: " +
                        "the repository is empty or its HEAD names a branch that does not exist. Push a commit, or name an existing baseBranch.");
                }

                S.BaseBranch = clone.Branch ?? spec.BaseBranch;
                S.HeadSha = clone.Commit;
                await client.GitConfigAsync(new GitConfigRequest(_options.GitUserName, _options.GitUserEmail), cancellationToken);
            }
            else
            {
                S.BaseBranch ??= spec.BaseBranch ?? head.Branch;
                S.HeadSha ??= head.Commit;
            }

            await state.WriteStateAsync(cancellationToken);
            return Info();
        });

    Task<WorkspaceInfo> IWorkspaceLifecycleGrain.CreateShadowBranchAsync(CancellationToken cancellationToken) =>
        UnderLockAsync(async () =>
        {
            var spec = RequireSpec();
            var client = await EnsureReadyInstanceAsync(cancellationToken);
            var head = await client.GitHeadAsync(cancellationToken);
            if (head.Branch != spec.Branch)
            {
                try
                {
                    await client.GitCreateBranchAsync(new GitBranchRequest(spec.Branch, StartPoint: null, Checkout: true), cancellationToken);
                }
                catch (SidecarProblemException e) when (e.StatusCode == System.Net.HttpStatusCode.Conflict)
                {
                    // A resumed step: the branch was created before the crash.
                    await client.GitCheckoutAsync(new GitCheckoutRequest(spec.Branch), cancellationToken);
                }
            }

            var push = await client.GitPushAsync(new GitPushRequest("origin", spec.Branch), cancellationToken);
            S.BranchPushed = true;
            S.HeadSha = push.Sha;
            await state.WriteStateAsync(cancellationToken);
            return Info();
        });

    Task IWorkspaceLifecycleGrain.ReleaseAsync(CancellationToken cancellationToken) =>
        UnderLockAsync(async () =>
        {
            if (S.Handle is { } handle)
            {
                await StopInstanceAsync(handle, deleteStorage: false, cancellationToken);
                S.LastInstanceId = handle.InstanceId;
                S.Handle = null;
            }

            if (S.Phase != WorkspacePhase.Deleted)
            {
                S.Phase = WorkspacePhase.None;
            }

            await state.WriteStateAsync(cancellationToken);
        });

    Task IWorkspaceLifecycleGrain.DeleteAsync(CancellationToken cancellationToken) =>
        UnderLockAsync(async () =>
        {
            if (S.Phase == WorkspacePhase.Deleted)
            {
                return;
            }

            if (S.Handle is { } handle)
            {
                await StopInstanceAsync(handle, deleteStorage: true, cancellationToken);
            }
            else if (S.LastInstanceId is { } last)
            {
                await runtime.DeleteAsync(new WorkspaceHandle(last, new Uri("http://127.0.0.1/"), "-", Reattached: false), deleteStorage: true, cancellationToken);
            }

            S.Handle = null;
            S.LastInstanceId = null;
            S.Phase = WorkspacePhase.Deleted;
            await state.WriteStateAsync(cancellationToken);
            await UnregisterIdleReminderAsync();
            LogInformationDeleted(TaskId);
        });

    Task<SidecarConnection?> IWorkspaceLifecycleGrain.GetConnectionAsync(CancellationToken cancellationToken) =>
        Task.FromResult(S is { Phase: WorkspacePhase.Ready, Handle: { } h } ? new SidecarConnection(h.InstanceId, h.BaseAddress, h.Token) : null);

    Task<TurnCommit?> IWorkspaceLifecycleGrain.CommitTurnAsync(string? message, CancellationToken cancellationToken) =>
        CallAsync(async (client, ct) =>
        {
            var spec = RequireSpec();
            var status = await client.GitStatusAsync(ct);
            if (status.Clean)
            {
                if (status.Commit is { } head && S.HeadSha is { } pushed && head != pushed && !status.Detached)
                {
                    // A commit made before a crash that was never pushed: push it now rather than commit again.
                    var late = await client.GitPushAsync(new GitPushRequest("origin", spec.Branch), ct);
                    S.HeadSha = late.Sha;
                    await state.WriteStateAsync(ct);
                    return new TurnCommit(late.Sha, "(a commit made before a restart, pushed now)", 0);
                }

                return null;
            }

            var text = string.IsNullOrWhiteSpace(message) ? CommitMessages.Summarize(status) : message.Trim();
            var commit = await client.GitCommitAsync(new GitCommitRequest(text), ct);
            var push = await client.GitPushAsync(new GitPushRequest("origin", spec.Branch), ct);
            S.HeadSha = push.Sha;
            await state.WriteStateAsync(ct);
            return (TurnCommit?)new TurnCommit(commit.Sha, text, commit.FilesChanged);
        }, repeatable: false, cancellationToken);

    Task<TurnChanges?> IWorkspaceLifecycleGrain.GetTurnChangesAsync(int maxPatchBytes, CancellationToken cancellationToken) =>
        CallAsync(async (client, ct) =>
        {
            var status = await client.GitStatusAsync(ct);
            if (status.Clean)
            {
                return null;
            }

            var diff = await client.GitDiffAsync(maxBytes: Math.Max(1024, maxPatchBytes), cancellationToken: ct);
            return (TurnChanges?)new TurnChanges(CommitMessages.Summarize(status), diff.Patch, diff.Truncated, status.Files.Count);
        }, repeatable: true, cancellationToken);

    Task<string> IWorkspaceLifecycleGrain.ResetBranchAsync(string sha, CancellationToken cancellationToken) =>
        CallAsync(async (client, ct) =>
        {
            var spec = RequireSpec();
            var expected = S.HeadSha ?? throw new TaskConflictException(TaskId, "The shadow branch was never pushed: there is nothing to roll back.");
            await client.GitResetAsync(new GitResetRequest(sha), ct);
            GitPushResponse push;
            try
            {
                push = await client.GitPushAsync(new GitPushRequest("origin", spec.Branch, ExpectedRemoteSha: expected), ct);
            }
            catch (SidecarProblemException e) when (e.StatusCode == System.Net.HttpStatusCode.Conflict)
            {
                // The remote moved: put the workspace back where the remote's last known state was, and refuse.
                await client.GitResetAsync(new GitResetRequest(expected), ct);
                throw new TaskConflictException(TaskId,
                    $"Rollback refused: the remote branch '{spec.Branch}' moved since Shadow last pushed it ({e.Problem.Detail ?? e.Message}). Nothing was changed.");
            }

            S.HeadSha = push.Sha;
            await state.WriteStateAsync(ct);
            return push.Sha;
        }, repeatable: false, cancellationToken);

    Task<WorkspaceInfo> IWorkspaceGrain.GetInfoAsync(CancellationToken cancellationToken) => Task.FromResult(Info());

    // ---- tools ----

    Task<ReadFileResponse> IWorkspaceGrain.ReadFileAsync(string path, int? offset, int? limit, CancellationToken cancellationToken) =>
        CallAsync((c, ct) => c.ReadFileAsync(path, offset, limit, ct), repeatable: true, cancellationToken);

    Task<WriteFileResponse> IWorkspaceGrain.WriteFileAsync(WriteFileRequest request, CancellationToken cancellationToken) =>
        CallAsync((c, ct) => c.WriteFileAsync(request.Path, request.Content, request.CreateDirectories ?? true, ct), repeatable: true, cancellationToken);

    Task<DeleteFileResponse> IWorkspaceGrain.DeleteFileAsync(DeleteFileRequest request, CancellationToken cancellationToken) =>
        CallAsync((c, ct) => c.DeleteFileAsync(request.Path, request.Recursive ?? false, ct), repeatable: true, cancellationToken);

    Task<FileStatsResponse> IWorkspaceGrain.GetFileStatsAsync(string path, CancellationToken cancellationToken) =>
        CallAsync((c, ct) => c.GetFileStatsAsync(path, ct), repeatable: true, cancellationToken);

    Task<ListFilesResponse> IWorkspaceGrain.ListFilesAsync(string? path, CancellationToken cancellationToken) =>
        CallAsync((c, ct) => c.ListFilesAsync(path, ct), repeatable: true, cancellationToken);

    Task<ListRecursiveResponse> IWorkspaceGrain.ListFilesRecursiveAsync(string? path, int? maxEntries, CancellationToken cancellationToken) =>
        CallAsync((c, ct) => c.ListFilesRecursiveAsync(path, maxEntries, ct), repeatable: true, cancellationToken);

    Task<SearchReplaceResponse> IWorkspaceGrain.SearchReplaceAsync(SearchReplaceRequest request, CancellationToken cancellationToken) =>
        CallAsync((c, ct) => c.SearchReplaceAsync(request.Path, request.OldString, request.NewString, ct), repeatable: false, cancellationToken);

    Task<FileSearchResponse> IWorkspaceGrain.SearchFilesAsync(string query, int? limit, CancellationToken cancellationToken) =>
        CallAsync((c, ct) => c.SearchFilesAsync(query, limit, ct), repeatable: true, cancellationToken);

    Task<GrepResponse> IWorkspaceGrain.GrepAsync(GrepRequest request, CancellationToken cancellationToken) =>
        CallAsync((c, ct) => c.GrepAsync(request, ct), repeatable: true, cancellationToken);

    Task<ExecResponse> IWorkspaceGrain.ExecAsync(ExecRequest request, CancellationToken cancellationToken) =>
        CallAsync((c, ct) => c.ExecAsync(request, ct), repeatable: false, cancellationToken);

    IAsyncEnumerable<ExecStreamEvent> IWorkspaceGrain.ExecStreamAsync(ExecRequest request, CancellationToken cancellationToken) =>
        StreamAsync((c, ct) => c.ExecStreamAsync(request, ct), cancellationToken);

    Task<BackgroundExecStarted> IWorkspaceGrain.StartBackgroundAsync(BackgroundExecRequest request, CancellationToken cancellationToken) =>
        CallAsync((c, ct) => c.StartBackgroundAsync(request, ct), repeatable: false, cancellationToken);

    Task<BackgroundCommandList> IWorkspaceGrain.ListBackgroundAsync(CancellationToken cancellationToken) =>
        CallAsync((c, ct) => c.ListBackgroundAsync(ct), repeatable: true, cancellationToken);

    Task<BackgroundOutputResponse> IWorkspaceGrain.GetBackgroundOutputAsync(string id, long? since, int? limit, CancellationToken cancellationToken) =>
        CallAsync((c, ct) => c.GetBackgroundOutputAsync(id, since, limit, ct), repeatable: true, cancellationToken);

    Task<BackgroundCommandInfo> IWorkspaceGrain.KillBackgroundAsync(string id, CancellationToken cancellationToken) =>
        CallAsync((c, ct) => c.KillBackgroundAsync(id, ct), repeatable: true, cancellationToken);

    Task<GitStatusResponse> IWorkspaceGrain.GitStatusAsync(CancellationToken cancellationToken) =>
        CallAsync((c, ct) => c.GitStatusAsync(ct), repeatable: true, cancellationToken);

    Task<GitDiffResponse> IWorkspaceGrain.GitDiffAsync(string? baseBranch, CancellationToken cancellationToken) =>
        CallAsync((c, ct) => c.GitDiffAsync(baseBranch ?? S.BaseBranch, cancellationToken: ct), repeatable: true, cancellationToken);

    // ---- reminders and timers ----

    async Task IRemindable.ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != IdleReminderName)
        {
            return;
        }

        if (S.Phase != WorkspacePhase.Ready)
        {
            await UnregisterIdleReminderAsync();
            return;
        }

        var lastUsed = _lastUsed ?? S.LastUsedAt;
        if (lastUsed is { } used && time.GetUtcNow() - used < _options.IdleTimeout)
        {
            return;
        }

        await UnderLockAsync(() => ReclaimAsync(CancellationToken.None));
    }

    private async Task HealthTickAsync(CancellationToken cancellationToken)
    {
        if (S is not { Phase: WorkspacePhase.Ready, Handle: { } handle })
        {
            return;
        }

        var status = await runtime.GetStatusAsync(handle, cancellationToken);
        string? problem = null;
        if (status.State is WorkspaceRuntimeState.Exited or WorkspaceRuntimeState.NotFound)
        {
            problem = $"its instance {handle.InstanceId} is {status.State}{(status.Detail is null ? "" : $": {status.Detail}")}";
        }
        else
        {
            try
            {
                using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                cts.CancelAfter(TimeSpan.FromSeconds(5));
                await ClientFor(handle).HealthAsync(cts.Token);
                _healthFailures = 0;
            }
            catch (Exception e) when (IsUnreachable(e) || e is OperationCanceledException)
            {
                if (++_healthFailures >= _options.HealthFailuresBeforeRestore)
                {
                    problem = $"its sidecar failed {_healthFailures} health checks in a row ({e.GetType().Name})";
                }
            }
        }

        if (problem is not null)
        {
            LogWarningSidecarDead(TaskId, problem);
            await UnderLockAsync(async () =>
            {
                // Another call may have restored it meanwhile.
                if (S.Handle == handle)
                {
                    // Not the tick's token: the restore disposes this very timer (StopInstanceAsync), which cancels that token
                    // and would abort the restore halfway, leaving the workspace "Ready" on a dead instance with no timer.
                    await RestoreAsync(problem, CancellationToken.None);
                }
            });
        }
    }

    // ---- the machinery ----

    private async Task<T> CallAsync<T>(Func<SidecarClient, CancellationToken, Task<T>> call, bool repeatable, CancellationToken cancellationToken)
    {
        var client = await GetReadyClientAsync(cancellationToken);
        try
        {
            var result = await call(client, cancellationToken);
            await TouchAsync();
            return result;
        }
        catch (SidecarProblemException e)
        {
            throw ToProblem(e);
        }
        catch (Exception e) when (IsUnreachable(e))
        {
            var restarted = await RestoreIfDeadAsync(client, e, cancellationToken);
            if (!restarted)
            {
                throw new WorkspaceUnavailableException(TaskId, $"The workspace's sidecar did not answer ({e.Message}); try again.");
            }

            // A call that never reached the dead sidecar (refused connection), or one that may safely run twice, is sent again.
            if (!repeatable && !IsConnectionRefused(e))
            {
                throw new WorkspaceUnavailableException(TaskId,
                    "The workspace's sidecar died during the call and was brought back from the shadow branch; the call may not have completed. Check and try again.");
            }

            client = await GetReadyClientAsync(cancellationToken);
            try
            {
                var result = await call(client, cancellationToken);
                await TouchAsync();
                return result;
            }
            catch (SidecarProblemException again)
            {
                throw ToProblem(again);
            }
        }
    }

    private async IAsyncEnumerable<T> StreamAsync<T>(Func<SidecarClient, CancellationToken, IAsyncEnumerable<T>> open,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var client = await GetReadyClientAsync(cancellationToken);
        await TouchAsync();
        var enumerator = open(client, cancellationToken).GetAsyncEnumerator(cancellationToken);
        try
        {
            while (true)
            {
                bool more;
                try
                {
                    more = await enumerator.MoveNextAsync();
                }
                catch (SidecarProblemException e)
                {
                    throw ToProblem(e);
                }
                catch (Exception e) when (IsUnreachable(e))
                {
                    await RestoreIfDeadAsync(client, e, cancellationToken);
                    throw new WorkspaceUnavailableException(TaskId, $"The workspace's sidecar stopped answering during the stream ({e.Message}).");
                }

                if (!more)
                {
                    yield break;
                }

                yield return enumerator.Current;
            }
        }
        finally
        {
            await enumerator.DisposeAsync();
        }
    }

    /// <summary>A client for a ready instance, bringing the workspace back first when it was reclaimed or died.</summary>
    private async Task<SidecarClient> GetReadyClientAsync(CancellationToken cancellationToken)
    {
        // Tool calls wait for init to finish: before the shadow branch is pushed the workspace may be empty or mid-clone.
        if (S is { Phase: WorkspacePhase.Ready, Handle: { } handle, BranchPushed: true })
        {
            return ClientFor(handle);
        }

        return await UnderLockAsync(async () =>
        {
            if (S is { Phase: WorkspacePhase.Ready, Handle: { } h, BranchPushed: true })
            {
                return ClientFor(h);
            }

            if (S.Phase == WorkspacePhase.Deleted)
            {
                throw new TaskConflictException(TaskId, $"Task '{TaskId}' is archived: its workspace was destroyed (its branch and history are kept).");
            }

            if (S.Spec is null || !S.BranchPushed)
            {
                throw new WorkspaceUnavailableException(TaskId, $"Task '{TaskId}' has no workspace yet: its init steps have not finished (see the task's initSteps).");
            }

            await RestoreAsync(S.Error ?? $"the workspace was {S.Phase}", cancellationToken);
            return ClientFor(S.Handle!);
        });
    }

    /// <summary>Whether the instance behind <paramref name="client"/> is dead; if so it is restored (under the lock) and true is answered.</summary>
    private async Task<bool> RestoreIfDeadAsync(SidecarClient client, Exception failure, CancellationToken cancellationToken)
    {
        return await UnderLockAsync(async () =>
        {
            if (S.Handle is not { } handle || handle.BaseAddress != client.Endpoint.BaseAddress)
            {
                // Someone restored it already.
                return S.Phase == WorkspacePhase.Ready;
            }

            var status = await runtime.GetStatusAsync(handle, cancellationToken);
            if (status.State is WorkspaceRuntimeState.Running or WorkspaceRuntimeState.Starting)
            {
                return false;
            }

            await RestoreAsync($"its sidecar stopped answering ({failure.GetType().Name}) and its instance is {status.State}", cancellationToken);
            return true;
        });
    }

    /// <summary>Brings the workspace back: a new (or re-attached) instance, then its contents from the shadow branch. Under the lock.</summary>
    private async Task RestoreAsync(string reason, CancellationToken cancellationToken)
    {
        var spec = RequireSpec();
        LogInformationRestoring(TaskId, reason);
        if (S.Handle is { } old)
        {
            await StopInstanceAsync(old, deleteStorage: false, cancellationToken);
            S.LastInstanceId = old.InstanceId;
            S.Handle = null;
        }

        S.Phase = WorkspacePhase.Failed;
        S.Error = reason;
        try
        {
            var client = await EnsureInstanceAsync(cancellationToken);
            await WaitHealthyAsync(client, cancellationToken);
            var head = await TryGetHeadAsync(client, cancellationToken);
            if (head?.Commit is null)
            {
                var clone = await client.GitCloneAsync(new GitCloneRequest(spec.RepoUrl, spec.Branch), cancellationToken);
                S.HeadSha = clone.Commit;
                await client.GitConfigAsync(new GitConfigRequest(_options.GitUserName, _options.GitUserEmail), cancellationToken);
            }
            else if (head.Branch != spec.Branch)
            {
                await client.GitCheckoutAsync(new GitCheckoutRequest(spec.Branch), cancellationToken);
            }

            await MarkReadyAsync(cancellationToken);
            LogInformationRestored(TaskId, S.Handle!.InstanceId, S.Handle.Reattached);
        }
        catch (SidecarProblemException e)
        {
            await FailAsync($"Restoring the workspace from '{spec.Branch}' failed: {e.Problem.Detail}", cancellationToken);
            throw ToProblem(e);
        }
        catch (Exception e) when (IsUnreachable(e) || e is TimeoutException)
        {
            await FailAsync($"Restoring the workspace failed: {e.Message}", cancellationToken);
            throw new WorkspaceUnavailableException(TaskId, $"The workspace could not be brought back: {e.Message}");
        }
    }

    /// <summary>The workspace's HEAD, or null when it holds no repository yet (the sidecar answers 409 then).</summary>
    private static async Task<GitHeadResponse?> TryGetHeadAsync(SidecarClient client, CancellationToken cancellationToken)
    {
        try
        {
            return await client.GitHeadAsync(cancellationToken);
        }
        catch (SidecarProblemException e) when (e.StatusCode == System.Net.HttpStatusCode.Conflict)
        {
            return null;
        }
    }

    private async Task FailAsync(string error, CancellationToken cancellationToken)
    {
        S.Phase = WorkspacePhase.Failed;
        S.Error = error;
        await state.WriteStateAsync(cancellationToken);
    }

    /// <summary>Saves uncommitted work to the shadow branch, then ends the instance and drops its storage. Under the lock.</summary>
    private async Task ReclaimAsync(CancellationToken cancellationToken)
    {
        if (S is not { Phase: WorkspacePhase.Ready, Handle: { } handle, Spec: { } spec })
        {
            return;
        }

        var client = ClientFor(handle);
        try
        {
            var status = await client.GitStatusAsync(cancellationToken);
            if (!status.Clean)
            {
                await client.GitCommitAsync(new GitCommitRequest($"Shadow: save uncommitted work before the idle workspace is reclaimed ({status.Files.Count} files)"), cancellationToken);
            }

            if (S.BranchPushed)
            {
                var push = await client.GitPushAsync(new GitPushRequest("origin", spec.Branch), cancellationToken);
                S.HeadSha = push.Sha;
            }
        }
        catch (Exception e) when (e is SidecarProblemException || IsUnreachable(e))
        {
            // Keep the workspace rather than lose work that could not be saved; the next reminder tries again.
            LogWarningReclaimSaveFailed(TaskId, e.Message);
            return;
        }

        await StopInstanceAsync(handle, deleteStorage: true, cancellationToken);
        S.Handle = null;
        S.LastInstanceId = null;
        S.Phase = WorkspacePhase.Reclaimed;
        S.Error = null;
        await state.WriteStateAsync(cancellationToken);
        await UnregisterIdleReminderAsync();
        LogInformationReclaimed(TaskId, handle.InstanceId);
    }

    /// <summary>An instance (provisioned now, or the current one). Under the lock.</summary>
    private async Task<SidecarClient> EnsureInstanceAsync(CancellationToken cancellationToken)
    {
        RequireSpec();
        if (S.Phase == WorkspacePhase.Deleted)
        {
            throw new TaskConflictException(TaskId, $"Task '{TaskId}' is archived: its workspace was destroyed.");
        }

        if (S.Handle is { } current)
        {
            var status = await runtime.GetStatusAsync(current, cancellationToken);
            if (status.State is WorkspaceRuntimeState.Running or WorkspaceRuntimeState.Starting)
            {
                return ClientFor(current);
            }

            S.LastInstanceId = current.InstanceId;
            S.Handle = null;
        }

        S.Phase = WorkspacePhase.Provisioning;
        WorkspaceHandle handle;
        try
        {
            handle = await runtime.ProvisionAsync(new WorkspaceProvisionRequest(TaskId, S.LastInstanceId), cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await FailAsync($"The {runtime.Kind} runtime could not provision the workspace: {e.Message}", cancellationToken);
            throw new WorkspaceUnavailableException(TaskId, S.Error!);
        }

        S.Handle = handle;
        S.LastInstanceId = handle.InstanceId;
        S.ProvisionCount++;
        await state.WriteStateAsync(cancellationToken);
        LogInformationProvisioned(TaskId, handle.InstanceId, handle.Reattached, S.ProvisionCount);
        return ClientFor(handle);
    }

    private async Task<SidecarClient> EnsureReadyInstanceAsync(CancellationToken cancellationToken)
    {
        var client = await EnsureInstanceAsync(cancellationToken);
        if (S.Phase != WorkspacePhase.Ready)
        {
            await WaitHealthyAsync(client, cancellationToken);
            await MarkReadyAsync(cancellationToken);
        }

        return client;
    }

    private async Task WaitHealthyAsync(SidecarClient client, CancellationToken cancellationToken)
    {
        // Real time, not the grain's clock: this waits on a real process, and a test's fake clock would otherwise stall the
        // 50 ms retry forever (holding the lifecycle lock) and never reach the deadline.
        var realTime = TimeProvider.System;
        var started = realTime.GetTimestamp();
        Exception? last = null;
        while (true)
        {
            try
            {
                using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                cts.CancelAfter(TimeSpan.FromSeconds(5));
                await client.HealthAsync(cts.Token);
                return;
            }
            catch (Exception e) when (IsUnreachable(e) || e is SidecarProblemException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                last = e;
            }

            if (S.Handle is { } handle
                && (await runtime.GetStatusAsync(handle, cancellationToken)).State is WorkspaceRuntimeState.Exited or WorkspaceRuntimeState.NotFound)
            {
                throw new WorkspaceUnavailableException(TaskId, $"The workspace's sidecar exited before it became ready ({last.Message}).");
            }

            if (realTime.GetElapsedTime(started) >= _options.ReadyTimeout)
            {
                throw new WorkspaceUnavailableException(TaskId,
                    $"The workspace's sidecar did not become ready within {_options.ReadyTimeout.TotalSeconds:0} s (Shadow:Workspace:ReadyTimeout): {last.Message}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), realTime, cancellationToken);
        }
    }

    private async Task<WorkspaceInfo> MarkReadyAsync(CancellationToken cancellationToken)
    {
        var wasReady = S.Phase == WorkspacePhase.Ready;
        S.Phase = WorkspacePhase.Ready;
        S.Error = null;
        _lastUsed = time.GetUtcNow();
        S.LastUsedAt = _lastUsedPersisted = _lastUsed;
        await state.WriteStateAsync(cancellationToken);
        _healthFailures = 0;
        StartHealthTimer();
        await this.RegisterOrUpdateReminder(IdleReminderName, IdleCheckPeriod(), IdleCheckPeriod());
        if (!wasReady && S.Handle is { } h)
        {
            // The feeds follow the new sidecar from its first seq.
            var connection = new SidecarConnection(h.InstanceId, h.BaseAddress, h.Token);
            await Task.WhenAll(
                GrainFactory.GetGrain<ITerminalFollowerGrain>(TaskId).AttachAsync(connection, cancellationToken),
                GrainFactory.GetGrain<IChangeFollowerGrain>(TaskId).AttachAsync(connection, cancellationToken));
        }

        return Info();
    }

    private TimeSpan IdleCheckPeriod()
    {
        var period = _options.IdleTimeout / 4;
        return period < TimeSpan.FromMinutes(1) ? TimeSpan.FromMinutes(1) : period;
    }

    private void StartHealthTimer()
    {
        _health?.Dispose();
        _health = this.RegisterGrainTimer(HealthTickAsync, new GrainTimerCreationOptions
        {
            DueTime = _options.HealthInterval,
            Period = _options.HealthInterval,
            Interleave = true,
            KeepAlive = true,
        });
    }

    private async Task StopInstanceAsync(WorkspaceHandle handle, bool deleteStorage, CancellationToken cancellationToken)
    {
        _health?.Dispose();
        _health = null;
        try
        {
            await runtime.DeleteAsync(handle, deleteStorage, cancellationToken);
        }
        finally
        {
            clients.Forget(handle.BaseAddress);
        }
    }

    private async Task UnregisterIdleReminderAsync()
    {
        var reminder = await this.GetReminder(IdleReminderName);
        if (reminder is not null)
        {
            await this.UnregisterReminder(reminder);
        }
    }

    private async Task TouchAsync()
    {
        var now = time.GetUtcNow();
        _lastUsed = now;
        if (_lastUsedPersisted is not { } persisted || now - persisted >= LastUsedPersistInterval)
        {
            S.LastUsedAt = now;
            _lastUsedPersisted = now;
            await state.WriteStateAsync();
        }
    }

    private SidecarClient ClientFor(WorkspaceHandle handle) => clients.Get(new SidecarEndpoint(handle.BaseAddress, handle.Token));

    private WorkspaceSpec RequireSpec() =>
        S.Spec ?? throw new WorkspaceUnavailableException(TaskId, $"Task '{TaskId}' has no workspace yet: its init steps have not run.");

    private WorkspaceInfo Info() =>
        new(TaskId, S.Phase, runtime.Kind, S.Handle?.InstanceId, S.ProvisionCount, _lastUsed ?? S.LastUsedAt, S.Error, S.BaseBranch, S.HeadSha);

    private async Task UnderLockAsync(Func<Task> action)
    {
        await _lifecycle.WaitAsync();
        try
        {
            await action();
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    private async Task<T> UnderLockAsync<T>(Func<Task<T>> action)
    {
        await _lifecycle.WaitAsync();
        try
        {
            return await action();
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    private static WorkspaceProblemException ToProblem(SidecarProblemException e) =>
        new((int)e.StatusCode, e.Problem.Title ?? "Workspace error", e.Problem.Detail ?? e.Message);

    internal static bool IsUnreachable(Exception e) =>
        e is HttpRequestException or TimeoutRejectedException or BrokenCircuitException or IOException or TimeoutException;

    private static bool IsConnectionRefused(Exception e) =>
        e is BrokenCircuitException
        || e is HttpRequestException { InnerException: SocketException { SocketErrorCode: SocketError.ConnectionRefused } }
        || e is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError };

    [LoggerMessage(Level = LogLevel.Information, Message = "Workspace {TaskId}: instance {InstanceId} provisioned (re-attached: {Reattached}; provision #{Count})")]
    private partial void LogInformationProvisioned(string taskId, string instanceId, bool reattached, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Workspace {TaskId}: instance {InstanceId} is gone after activation ({State})")]
    private partial void LogInformationInstanceGone(string taskId, string instanceId, WorkspaceRuntimeState state);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Workspace {TaskId}: {Problem}; restoring it")]
    private partial void LogWarningSidecarDead(string taskId, string problem);

    [LoggerMessage(Level = LogLevel.Information, Message = "Workspace {TaskId}: restoring ({Reason})")]
    private partial void LogInformationRestoring(string taskId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Workspace {TaskId}: restored on instance {InstanceId} (re-attached: {Reattached})")]
    private partial void LogInformationRestored(string taskId, string instanceId, bool reattached);

    [LoggerMessage(Level = LogLevel.Information, Message = "Workspace {TaskId}: idle instance {InstanceId} reclaimed; it comes back from the shadow branch on next use")]
    private partial void LogInformationReclaimed(string taskId, string instanceId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Workspace {TaskId}: not reclaimed, its work could not be saved first: {Error}")]
    private partial void LogWarningReclaimSaveFailed(string taskId, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Workspace {TaskId}: deleted")]
    private partial void LogInformationDeleted(string taskId);
}
