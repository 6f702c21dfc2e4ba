using Shadow.Grains.Abstractions.Workspaces;

namespace Shadow.Grains.Workspaces;

/// <summary>
/// The workspace's lifecycle, driven by its task's init steps and archive. Internal to the silo (it is not part of the
/// public contract): <c>TaskGrain</c> calls it, and the feed grains ask it for the current sidecar.
/// </summary>
[Alias("shadow.workspace-lifecycle")]
public interface IWorkspaceLifecycleGrain : IGrainWithStringKey
{
    /// <summary>PrepareWorkspace: records what the workspace holds (idempotent for the same spec).</summary>
    Task ConfigureAsync(WorkspaceSpec spec, CancellationToken cancellationToken = default);

    /// <summary>CreateWorkspace: provisions an instance through the runtime unless one runs (idempotent).</summary>
    [ResponseTimeout("00:05:00")]
    Task<WorkspaceInfo> CreateAsync(CancellationToken cancellationToken = default);

    /// <summary>WaitSidecarReady: waits until the sidecar answers its health check.</summary>
    [ResponseTimeout("00:35:00")]
    Task<WorkspaceInfo> WaitReadyAsync(CancellationToken cancellationToken = default);

    /// <summary>CloneRepository: clones the repository at the base branch (no-op when the workspace already holds it); answers the resolved base branch.</summary>
    [ResponseTimeout("01:00:00")]
    Task<WorkspaceInfo> CloneAsync(CancellationToken cancellationToken = default);

    /// <summary>CreateShadowBranch: creates <c>shadow/task-{id}</c> from the base branch, checks it out and pushes it (idempotent).</summary>
    [ResponseTimeout("00:30:00")]
    Task<WorkspaceInfo> CreateShadowBranchAsync(CancellationToken cancellationToken = default);

    /// <summary>Ends the running instance but keeps its storage (init failed: nothing is left running; a retry re-attaches it).</summary>
    Task ReleaseAsync(CancellationToken cancellationToken = default);

    /// <summary>Destroys the workspace for good (archive); idempotent.</summary>
    Task DeleteAsync(CancellationToken cancellationToken = default);

    /// <summary>The current sidecar when the workspace is ready, else null (never provisions).</summary>
    Task<SidecarConnection?> GetConnectionAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// The end of a turn: commits every change with <paramref name="message"/> (null: a deterministic summary of the changed
    /// files) and pushes the shadow branch. A clean working tree makes no commit and answers null (unless HEAD holds a commit
    /// that was never pushed, which is pushed then).
    /// </summary>
    [ResponseTimeout("00:10:00")]
    Task<TurnCommit?> CommitTurnAsync(string? message, CancellationToken cancellationToken = default);

    /// <summary>The uncommitted changes (null when the working tree is clean), with the diff cut at <paramref name="maxPatchBytes"/>.</summary>
    [ResponseTimeout("00:05:00")]
    Task<TurnChanges?> GetTurnChangesAsync(int maxPatchBytes, CancellationToken cancellationToken = default);

    /// <summary>
    /// Rollback: hard-resets the shadow branch to <paramref name="sha"/> (untracked files removed) and force-pushes it, but only if
    /// the remote branch is still where this workspace last pushed it (force-with-lease); otherwise
    /// <see cref="Abstractions.Errors.TaskConflictException"/> and nothing is pushed.
    /// </summary>
    [ResponseTimeout("00:10:00")]
    Task<string> ResetBranchAsync(string sha, CancellationToken cancellationToken = default);
}
