namespace Shadow.Grains.Runtime;

/// <summary>
/// The seam between <c>WorkspaceGrain</c> and whatever runs workspaces (a local sidecar process, a Kubernetes pod, a
/// microVM). Grains see only this: no runtime-specific type crosses it. Implementations are singletons, safe for
/// concurrent use, and idempotent per instance id.
/// </summary>
public interface IWorkspaceRuntime
{
    /// <summary>The configured kind: <c>Local</c>, <c>Kubernetes</c> or <c>MicroVm</c>.</summary>
    string Kind { get; }

    /// <summary>
    /// Provisions a workspace for <paramref name="request"/> and answers once its sidecar listens (it may still be
    /// starting: callers wait for <c>/health</c>). When <see cref="WorkspaceProvisionRequest.PreviousInstanceId"/> names an
    /// instance whose storage still exists (its process died, the host restarted), the runtime re-attaches that storage;
    /// otherwise the workspace starts empty and the caller restores it from the shadow branch.
    /// </summary>
    Task<WorkspaceHandle> ProvisionAsync(WorkspaceProvisionRequest request, CancellationToken cancellationToken = default);

    /// <summary>Whether the instance's process (pod, VM) is still alive; a cheap local check, not a health probe.</summary>
    Task<WorkspaceRuntimeStatus> GetStatusAsync(WorkspaceHandle handle, CancellationToken cancellationToken = default);

    /// <summary>Ends the instance and, when <paramref name="deleteStorage"/>, removes its storage. Unknown or already gone counts as done.</summary>
    Task DeleteAsync(WorkspaceHandle handle, bool deleteStorage, CancellationToken cancellationToken = default);

    /// <summary>
    /// The URL the workspace's sidecar clones and pushes <paramref name="repoUrl"/> through. Most runtimes reach the remote as
    /// it is (the default); a runtime whose workspaces have no network of their own (MicroVm) maps it to a narrow forward.
    /// Throws <see cref="NotSupportedException"/> for a remote the runtime cannot reach.
    /// </summary>
    Task<string> ExposeRemoteAsync(WorkspaceHandle handle, string repoUrl, CancellationToken cancellationToken = default) => Task.FromResult(repoUrl);

    /// <summary>
    /// Every instance this runtime runs (also those a crashed host left behind), with the task each was provisioned for, so the
    /// orphan reconciler can delete the ones whose task is gone or archived. A runtime whose instances cannot outlive their
    /// host (or that cannot list them yet) answers none: the default.
    /// </summary>
    Task<IReadOnlyList<WorkspaceInstance>> ListInstancesAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<WorkspaceInstance>>([]);
}
