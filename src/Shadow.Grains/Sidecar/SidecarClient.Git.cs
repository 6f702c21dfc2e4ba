using Shadow.Sidecar.Contracts;
using Shadow.Sidecar.Contracts.Git;

namespace Shadow.Grains.Sidecar;

/// <summary>Git routes: clone, commit, push, branch and checkout change state and are never retried; reads are.</summary>
public sealed partial class SidecarClient
{
    /// <summary><c>POST /git/clone</c> into the empty workspace root (not retried).</summary>
    public Task<GitCloneResponse> GitCloneAsync(GitCloneRequest request, CancellationToken cancellationToken = default) =>
        PostAsync(SidecarRoutes.Git.Clone, request, GitJsonContext.Default.GitCloneRequest, GitJsonContext.Default.GitCloneResponse,
            idempotent: false, cancellationToken);

    /// <summary><c>POST /git/config</c>: repository-local user name/email (setting the same values twice is harmless: retried).</summary>
    public Task<GitConfigResponse> GitConfigAsync(GitConfigRequest request, CancellationToken cancellationToken = default) =>
        PostAsync(SidecarRoutes.Git.Config, request, GitJsonContext.Default.GitConfigRequest, GitJsonContext.Default.GitConfigResponse,
            idempotent: true, cancellationToken);

    /// <summary><c>POST /git/branch</c>: create a branch (not retried: a retry would answer 409).</summary>
    public Task<GitBranchResponse> GitCreateBranchAsync(GitBranchRequest request, CancellationToken cancellationToken = default) =>
        PostAsync(SidecarRoutes.Git.Branch, request, GitJsonContext.Default.GitBranchRequest, GitJsonContext.Default.GitBranchResponse,
            idempotent: false, cancellationToken);

    /// <summary><c>POST /git/checkout</c> (not retried).</summary>
    public Task<GitHeadResponse> GitCheckoutAsync(GitCheckoutRequest request, CancellationToken cancellationToken = default) =>
        PostAsync(SidecarRoutes.Git.Checkout, request, GitJsonContext.Default.GitCheckoutRequest, GitJsonContext.Default.GitHeadResponse,
            idempotent: false, cancellationToken);

    /// <summary><c>GET /git/status</c>.</summary>
    public Task<GitStatusResponse> GitStatusAsync(CancellationToken cancellationToken = default) =>
        GetAsync(SidecarRoutes.Git.Status, GitJsonContext.Default.GitStatusResponse, cancellationToken);

    /// <summary><c>GET /git/diff</c>: the working tree against HEAD, or against <paramref name="baseBranch"/> (its merge base with
    /// HEAD unless <paramref name="mergeBase"/> is false); capped at <paramref name="maxBytes"/> (default 1 MiB).</summary>
    public Task<GitDiffResponse> GitDiffAsync(string? baseBranch = null, bool? mergeBase = null, int? maxBytes = null,
        CancellationToken cancellationToken = default) =>
        GetAsync(WithQuery(SidecarRoutes.Git.Diff, ("base", baseBranch), ("mergeBase", mergeBase), ("maxBytes", maxBytes)),
            GitJsonContext.Default.GitDiffResponse, cancellationToken);

    /// <summary><c>POST /git/commit</c>: stage everything and commit (not retried).</summary>
    public Task<GitCommitResponse> GitCommitAsync(GitCommitRequest request, CancellationToken cancellationToken = default) =>
        PostAsync(SidecarRoutes.Git.Commit, request, GitJsonContext.Default.GitCommitRequest, GitJsonContext.Default.GitCommitResponse,
            idempotent: false, cancellationToken);

    /// <summary><c>POST /git/reset</c>: hard reset of the current branch to a commit, untracked files removed (same target twice is
    /// harmless: retried).</summary>
    public Task<GitHeadResponse> GitResetAsync(GitResetRequest request, CancellationToken cancellationToken = default) =>
        PostAsync(SidecarRoutes.Git.Reset, request, GitJsonContext.Default.GitResetRequest, GitJsonContext.Default.GitHeadResponse,
            idempotent: true, cancellationToken);

    /// <summary><c>POST /git/push</c> (not retried).</summary>
    public Task<GitPushResponse> GitPushAsync(GitPushRequest request, CancellationToken cancellationToken = default) =>
        PostAsync(SidecarRoutes.Git.Push, request, GitJsonContext.Default.GitPushRequest, GitJsonContext.Default.GitPushResponse,
            idempotent: false, cancellationToken);

    /// <summary><c>GET /git/log</c>: newest first from <paramref name="reference"/> (default HEAD).</summary>
    public Task<GitLogResponse> GitLogAsync(int? limit = null, string? reference = null, CancellationToken cancellationToken = default) =>
        GetAsync(WithQuery(SidecarRoutes.Git.Log, ("limit", limit), ("ref", reference)), GitJsonContext.Default.GitLogResponse, cancellationToken);

    /// <summary><c>GET /git/head</c>: current branch and commit.</summary>
    public Task<GitHeadResponse> GitHeadAsync(CancellationToken cancellationToken = default) =>
        GetAsync(SidecarRoutes.Git.Head, GitJsonContext.Default.GitHeadResponse, cancellationToken);

    /// <summary><c>GET /git/changed-files</c>: against <paramref name="baseBranch"/> (plus uncommitted), or only uncommitted.</summary>
    public Task<GitChangedFilesResponse> GitChangedFilesAsync(string? baseBranch = null, CancellationToken cancellationToken = default) =>
        GetAsync(WithQuery(SidecarRoutes.Git.ChangedFiles, ("base", baseBranch)), GitJsonContext.Default.GitChangedFilesResponse, cancellationToken);
}
