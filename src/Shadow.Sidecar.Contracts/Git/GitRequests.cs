namespace Shadow.Sidecar.Contracts.Git;

/// <summary>Credentials for one remote operation; used for that call only and never written into the workspace.</summary>
/// <param name="Username">User name (for token authentication, any non-empty name the host accepts).</param>
/// <param name="Password">Password or access token.</param>
public sealed record GitCredentials(string Username, string Password)
{
    /// <summary>Never print the secret (records print every member by default).</summary>
    public override string ToString() => $"GitCredentials {{ Username = {Username}, Password = *** }}";
}

/// <summary>Body of <c>POST /git/clone</c>: clone into the (empty) workspace root.</summary>
/// <param name="Url">Remote URL (<c>https://</c>, <c>ssh://</c>, <c>file://</c>) or a plain path to a repository. User info in the URL is
/// used as credentials for this call and stripped before the remote is stored.</param>
/// <param name="Branch">Branch to check out; default: the remote's HEAD.</param>
/// <param name="Credentials">Credentials for this call only.</param>
/// <param name="Depth">Shallow clone depth (network transports only; ignored for local paths, which libgit2 cannot clone shallow).</param>
public sealed record GitCloneRequest(string Url, string? Branch = null, GitCredentials? Credentials = null, int? Depth = null);

/// <summary>Body of <c>POST /git/config</c>: repository-local identity; null members are left unchanged.</summary>
/// <param name="UserName">Value of <c>user.name</c>.</param>
/// <param name="UserEmail">Value of <c>user.email</c>.</param>
public sealed record GitConfigRequest(string? UserName = null, string? UserEmail = null);

/// <summary>Body of <c>POST /git/branch</c>: create a branch.</summary>
/// <param name="Name">Short branch name (e.g. <c>feature/x</c>).</param>
/// <param name="StartPoint">Commit-ish to start from (branch, tag, sha); default HEAD.</param>
/// <param name="Checkout">Check the new branch out.</param>
public sealed record GitBranchRequest(string Name, string? StartPoint = null, bool Checkout = false);

/// <summary>Body of <c>POST /git/checkout</c>.</summary>
/// <param name="Name">A local branch, or a remote-tracking branch's short name (<c>x</c> for <c>origin/x</c>), which creates a tracking branch.</param>
public sealed record GitCheckoutRequest(string Name);

/// <summary>Body of <c>POST /git/commit</c>: stage every change (adds, modifications, deletions) and commit.</summary>
/// <param name="Message">Commit message; must not be blank.</param>
/// <param name="AuthorName">Author name; default the repository's <c>user.name</c>.</param>
/// <param name="AuthorEmail">Author email; default the repository's <c>user.email</c>.</param>
/// <param name="AllowEmpty">Commit even when nothing changed (otherwise 409).</param>
public sealed record GitCommitRequest(string Message, string? AuthorName = null, string? AuthorEmail = null, bool AllowEmpty = false);

/// <summary>Body of <c>POST /git/reset</c>: point the current branch at <paramref name="Commit"/> and make the working tree match it
/// exactly (a hard reset that also removes untracked files; ignored files stay).</summary>
/// <param name="Commit">A full or abbreviated sha, or a reference, that exists in the repository.</param>
public sealed record GitResetRequest(string Commit);

/// <summary>Body of <c>POST /git/push</c>.</summary>
/// <param name="Remote">Remote name; default <c>origin</c>.</param>
/// <param name="Branch">Local branch to push to the same name on the remote; default the current branch.</param>
/// <param name="Credentials">Credentials for this call only.</param>
/// <param name="Force">Overwrite the remote branch even when the push is not a fast-forward.</param>
/// <param name="ExpectedRemoteSha">Force-with-lease: push (forced) only if the remote branch is at this sha, else 409. Forty zeros
/// means "the remote branch must not exist yet".</param>
public sealed record GitPushRequest(string? Remote = null, string? Branch = null, GitCredentials? Credentials = null, bool Force = false,
    string? ExpectedRemoteSha = null);
