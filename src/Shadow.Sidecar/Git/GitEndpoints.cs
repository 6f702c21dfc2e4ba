using System.Globalization;
using Microsoft.AspNetCore.Mvc;
using Shadow.Sidecar.Contracts;
using Shadow.Sidecar.Contracts.Git;
using Shadow.Sidecar.Hosting;

namespace Shadow.Sidecar.Git;

/// <summary>The Git routes: thin handlers over <see cref="GitService"/>.</summary>
internal static class GitEndpoints
{
    public static IServiceCollection AddGit(this IServiceCollection services) => services.AddSingleton<GitService>();

    public static IEndpointRouteBuilder MapGitApi(this IEndpointRouteBuilder app)
    {
        var git = app.MapGroup(string.Empty).WithTags("Git");
        git.MapPost(SidecarRoutes.Git.Clone, CloneAsync).WithName("GitClone");
        git.MapPost(SidecarRoutes.Git.Config, ConfigAsync).WithName("GitConfig");
        git.MapPost(SidecarRoutes.Git.Branch, BranchAsync).WithName("GitBranch");
        git.MapPost(SidecarRoutes.Git.Checkout, CheckoutAsync).WithName("GitCheckout");
        git.MapGet(SidecarRoutes.Git.Status, StatusAsync).WithName("GitStatus");
        git.MapGet(SidecarRoutes.Git.Diff, DiffAsync).WithName("GitDiff");
        git.MapPost(SidecarRoutes.Git.Commit, CommitAsync).WithName("GitCommit");
        git.MapPost(SidecarRoutes.Git.Reset, ResetAsync).WithName("GitReset");
        git.MapPost(SidecarRoutes.Git.Push, PushAsync).WithName("GitPush");
        git.MapGet(SidecarRoutes.Git.Log, LogAsync).WithName("GitLog");
        git.MapGet(SidecarRoutes.Git.Head, HeadAsync).WithName("GitHead");
        git.MapGet(SidecarRoutes.Git.ChangedFiles, ChangedFilesAsync).WithName("GitChangedFiles");
        return app;
    }

    private static Task<GitCloneResponse> CloneAsync(GitCloneRequest request, GitService git, CancellationToken cancellationToken) =>
        git.CloneAsync(request, cancellationToken);

    private static Task<GitConfigResponse> ConfigAsync(GitConfigRequest request, GitService git, CancellationToken cancellationToken) =>
        git.ConfigureAsync(request, cancellationToken);

    private static Task<GitBranchResponse> BranchAsync(GitBranchRequest request, GitService git, CancellationToken cancellationToken) =>
        git.CreateBranchAsync(request, cancellationToken);

    private static Task<GitHeadResponse> CheckoutAsync(GitCheckoutRequest request, GitService git, CancellationToken cancellationToken) =>
        git.CheckoutAsync(request, cancellationToken);

    private static Task<GitStatusResponse> StatusAsync(GitService git, CancellationToken cancellationToken) =>
        git.GetStatusAsync(cancellationToken);

    private static Task<GitDiffResponse> DiffAsync(GitService git, [FromQuery(Name = "base")] string? baseBranch, string? mergeBase, string? maxBytes,
        CancellationToken cancellationToken) =>
        git.GetDiffAsync(baseBranch, RequestValues.ParseBool(mergeBase, "mergeBase") ?? true, RequestValues.ParseInt(maxBytes, "maxBytes"), cancellationToken);

    private static Task<GitCommitResponse> CommitAsync(GitCommitRequest request, GitService git, CancellationToken cancellationToken) =>
        git.CommitAsync(request, cancellationToken);

    private static Task<GitHeadResponse> ResetAsync(GitResetRequest request, GitService git, CancellationToken cancellationToken) =>
        git.ResetAsync(request, cancellationToken);

    private static Task<GitPushResponse> PushAsync(GitPushRequest request, GitService git, CancellationToken cancellationToken) =>
        git.PushAsync(request, cancellationToken);

    private static Task<GitLogResponse> LogAsync(GitService git, string? limit, [FromQuery(Name = "ref")] string? reference, CancellationToken cancellationToken) =>
        git.GetLogAsync(RequestValues.ParseInt(limit, "limit"), reference, cancellationToken);

    private static Task<GitHeadResponse> HeadAsync(GitService git, CancellationToken cancellationToken) =>
        git.GetHeadAsync(cancellationToken);

    private static Task<GitChangedFilesResponse> ChangedFilesAsync(GitService git, [FromQuery(Name = "base")] string? baseBranch,
        CancellationToken cancellationToken) =>
        git.GetChangedFilesAsync(baseBranch, cancellationToken);
}
