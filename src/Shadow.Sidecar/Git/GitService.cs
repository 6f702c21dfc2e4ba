using System.Text;
using LibGit2Sharp;
using LibGit2Sharp.Handlers;
using Shadow.Sidecar.Contracts.Git;
using Shadow.Sidecar.Hosting;
using Shadow.Sidecar.Security;

namespace Shadow.Sidecar.Git;

/// <summary>
/// Every git operation on the workspace, through LibGit2Sharp only (no <c>git</c> CLI). One <see cref="Repository"/> is
/// opened lazily and reused (libgit2 re-reads the index and refs when they change on disk), guarded by one async lock
/// because libgit2 handles are not thread-safe. The handle is dropped on clone and whenever <c>.git</c> is replaced.
/// </summary>
/// <remarks>
/// Status codes: not a repository → 409; unknown branch/ref/remote → 404; bad names → 400; conflicts (exists,
/// nothing to commit, non-fast-forward, lease mismatch, checkout conflict) → 409; a remote that cannot be reached,
/// does not exist or refuses the credentials → 422 with libgit2's message (the remote's fault, not the sidecar's;
/// deliberately not 502, which the client would count against the sidecar's circuit breaker).
/// </remarks>
internal sealed partial class GitService : IDisposable
{
    public const int DefaultMaxDiffBytes = 1024 * 1024;
    public const int MaxDiffBytesLimit = 64 * 1024 * 1024;
    private const int MaxDiffFileBytes = 16 * 1024 * 1024;
    public const int DefaultLogLimit = 20;
    public const int MaxLogLimit = 1000;
    private const string ZeroSha = "0000000000000000000000000000000000000000";

    private static readonly StatusOptions StatusOptions = new()
    {
        IncludeUntracked = true,
        RecurseUntrackedDirs = true,
        IncludeIgnored = false,
        RecurseIgnoredDirs = false,
        DetectRenamesInIndex = true,
        DetectRenamesInWorkDir = true,
        ExcludeSubmodules = true,
    };

    private static readonly CompareOptions CompareOptions = new() { Similarity = SimilarityOptions.Renames, IndentHeuristic = true };

    private readonly PathGuard _guard;
    private readonly TimeProvider _time;
    private readonly ILogger<GitService> _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly string _gitPath;
    private Repository? _repo;
    private DateTime _gitStamp;

    public GitService(PathGuard guard, TimeProvider time, ILogger<GitService> logger)
    {
        _guard = guard;
        _time = time;
        _logger = logger;
        _gitPath = Path.Combine(guard.Root, ".git");
        // The workspace may be owned by another uid than the sidecar (mounted volumes); libgit2 runs no hooks, so the
        // ownership check protects nothing here and would only make every route fail.
        GlobalSettings.SetOwnerValidation(false);
    }

    public void Dispose()
    {
        _repo?.Dispose();
        _gate.Dispose();
    }

    // ---- clone / config / branches ----

    public async Task<GitCloneResponse> CloneAsync(GitCloneRequest request, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.Url))
        {
            throw SidecarException.BadRequest("'url' is required: the repository to clone (https://, file:// or a path).");
        }

        if (request.Depth is < 1)
        {
            throw SidecarException.BadRequest($"'depth' must be at least 1 (got {request.Depth}); omit it for a full clone.");
        }

        if (request.Branch is not null)
        {
            ValidateBranchName(request.Branch, "branch");
        }

        var (url, credentials) = StripUserInfo(request.Url.Trim(), request.Credentials);
        var local = IsLocal(url, out var localPath);

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var entries = Directory.EnumerateFileSystemEntries(_guard.Root).Take(4).Select(Path.GetFileName).ToList();
            if (entries.Count > 0)
            {
                throw SidecarException.Conflict(
                    $"The workspace is not empty (it holds {string.Join(", ", entries.Select(e => $"'{e}'"))}{(entries.Count > 3 ? ", …" : "")}); clone needs an empty workspace root.");
            }

            if (local && !Directory.Exists(localPath))
            {
                throw SidecarException.Unprocessable($"Cannot clone '{url}': the repository does not exist (no folder '{localPath}').");
            }

            DropRepository();
            var fetch = new FetchOptions { CredentialsProvider = CredentialsProvider(credentials) };
            var shallow = !local && request.Depth is not null;
            if (shallow)
            {
                fetch.Depth = request.Depth!.Value;
            }

            var options = new CloneOptions(fetch) { BranchName = request.Branch, Checkout = true, RecurseSubmodules = false };
            try
            {
                Repository.Clone(url, _guard.Root, options);
            }
            catch (LibGit2SharpException e)
            {
                CleanWorkspace();
                LogCloneFailed(e.GetType().Name);
                throw e is NotFoundException && request.Branch is not null
                    ? SidecarException.NotFound($"Cannot clone '{url}': branch '{request.Branch}' does not exist on the remote ({e.Message}).")
                    : SidecarException.Unprocessable($"Cannot clone '{url}': {e.Message}");
            }
            catch
            {
                CleanWorkspace();
                throw;
            }

            var repo = OpenRepository();
            var stored = repo.Network.Remotes["origin"]?.Url ?? url;
            return new GitCloneResponse(stored, repo.Info.IsHeadDetached ? null : repo.Head.FriendlyName, repo.Head.Tip?.Sha, shallow && repo.Info.IsShallow);
        }
        finally
        {
            _gate.Release();
        }
    }

    public Task<GitConfigResponse> ConfigureAsync(GitConfigRequest request, CancellationToken cancellationToken)
    {
        if (request.UserName is null && request.UserEmail is null)
        {
            throw SidecarException.BadRequest("Pass 'userName' and/or 'userEmail'.");
        }

        ValidateConfigValue(request.UserName, "userName");
        ValidateConfigValue(request.UserEmail, "userEmail");
        return RunAsync(repo =>
        {
            if (request.UserName is not null)
            {
                repo.Config.Set("user.name", request.UserName.Trim(), ConfigurationLevel.Local);
            }

            if (request.UserEmail is not null)
            {
                repo.Config.Set("user.email", request.UserEmail.Trim(), ConfigurationLevel.Local);
            }

            return new GitConfigResponse(repo.Config.Get<string>("user.name", ConfigurationLevel.Local)?.Value, repo.Config.Get<string>("user.email", ConfigurationLevel.Local)?.Value);
        }, cancellationToken);
    }

    public Task<GitBranchResponse> CreateBranchAsync(GitBranchRequest request, CancellationToken cancellationToken)
    {
        ValidateBranchName(request.Name, "name");
        return RunAsync(repo =>
        {
            if (repo.Branches[request.Name] is { IsRemote: false })
            {
                throw SidecarException.Conflict($"Branch '{request.Name}' already exists.");
            }

            Commit target;
            if (string.IsNullOrWhiteSpace(request.StartPoint))
            {
                target = repo.Head.Tip ?? throw SidecarException.Conflict("HEAD has no commit yet: commit first, or pass 'startPoint'.");
            }
            else
            {
                target = ResolveCommit(repo, request.StartPoint, "startPoint");
            }

            var branch = repo.CreateBranch(request.Name, target);
            if (request.Checkout)
            {
                Commands.Checkout(repo, branch);
            }

            return new GitBranchResponse(request.Name, target.Sha, request.Checkout);
        }, cancellationToken);
    }

    public Task<GitHeadResponse> CheckoutAsync(GitCheckoutRequest request, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.Name))
        {
            throw SidecarException.BadRequest("'name' is required: the branch to check out.");
        }

        return RunAsync(repo =>
        {
            var branch = repo.Branches[request.Name] is { IsRemote: false } local ? local : TrackRemoteBranch(repo, request.Name);
            Commands.Checkout(repo, branch);
            return Head(repo);
        }, cancellationToken);
    }

    // ---- read-only views ----

    public Task<GitHeadResponse> GetHeadAsync(CancellationToken cancellationToken) => RunAsync(Head, cancellationToken);

    /// <summary>For <c>/status</c>: the branch and commit, or nulls when the workspace is not a repository; never throws for that.</summary>
    public async Task<(string? Branch, string? Commit)> TryGetHeadAsync(CancellationToken cancellationToken)
    {
        if (!GitDirExists())
        {
            return (null, null);
        }

        try
        {
            var head = await GetHeadAsync(cancellationToken).ConfigureAwait(false);
            return (head.Branch, head.Commit);
        }
        catch (SidecarException)
        {
            return (null, null);
        }
    }

    public Task<GitStatusResponse> GetStatusAsync(CancellationToken cancellationToken) => RunAsync(repo =>
    {
        var files = new List<GitStatusEntry>();
        foreach (var entry in repo.RetrieveStatus(StatusOptions))
        {
            if (Map(entry.State) is { } mapped)
            {
                var oldPath = mapped.State == GitFileState.Renamed
                    ? entry.HeadToIndexRenameDetails?.OldFilePath ?? entry.IndexToWorkDirRenameDetails?.OldFilePath
                    : null;
                files.Add(new GitStatusEntry(entry.FilePath, mapped.State, oldPath, mapped.Staged));
            }
        }

        var head = repo.Head;
        var detached = repo.Info.IsHeadDetached;
        string? upstream = null;
        int? ahead = null, behind = null;
        if (!detached && head.IsTracking && head.Tip is not null)
        {
            upstream = head.TrackedBranch.FriendlyName;
            var tracking = head.TrackingDetails;
            ahead = tracking.AheadBy;
            behind = tracking.BehindBy;
        }

        return new GitStatusResponse(detached ? null : head.FriendlyName, head.Tip?.Sha, detached, upstream, ahead, behind, files.Count == 0, files);
    }, cancellationToken);

    public Task<GitDiffResponse> GetDiffAsync(string? baseBranch, bool mergeBase, int? maxBytes, CancellationToken cancellationToken)
    {
        var cap = maxBytes ?? DefaultMaxDiffBytes;
        if (cap is < 1024 or > MaxDiffBytesLimit)
        {
            throw SidecarException.BadRequest($"'maxBytes' must be between 1024 and {MaxDiffBytesLimit} (got {cap}).");
        }

        return RunAsync(repo =>
        {
            var baseCommit = BaseCommit(repo, baseBranch, mergeBase);
            // libgit2 lists the changes; the text is written in managed code (UnifiedDiff says why).
            var changes = repo.Diff.Compare<TreeChanges>(baseCommit?.Tree, DiffTargets.Index | DiffTargets.WorkingDirectory, null, null, CompareOptions);
            var patch = new StringBuilder();
            int files = 0, added = 0, deleted = 0;
            foreach (var change in changes.OrderBy(c => c.Path, StringComparer.Ordinal))
            {
                if (change.Status is ChangeKind.Unmodified or ChangeKind.Ignored)
                {
                    continue;
                }

                var before = change.Status is ChangeKind.Added or ChangeKind.Untracked ? null : BlobBytes(repo, change.OldOid);
                var after = change.Status is ChangeKind.Deleted ? null : WorkingBytes(repo, change.Path);
                var file = UnifiedDiff.Build(change.OldPath, change.Path, before, after);
                patch.Append(file.Text);
                files++;
                added += file.Added;
                deleted += file.Deleted;
            }

            var (text, truncated, total) = Truncate(patch.ToString(), cap);
            return new GitDiffResponse(baseBranch, baseCommit?.Sha, text, truncated, total, files, added, deleted);
        }, cancellationToken);
    }

    public Task<GitChangedFilesResponse> GetChangedFilesAsync(string? baseBranch, CancellationToken cancellationToken) => RunAsync(repo =>
    {
        var uncommitted = new Dictionary<string, (GitFileState State, string? OldPath)>(StringComparer.Ordinal);
        foreach (var entry in repo.RetrieveStatus(StatusOptions))
        {
            if (Map(entry.State) is { } mapped)
            {
                var oldPath = entry.HeadToIndexRenameDetails?.OldFilePath ?? entry.IndexToWorkDirRenameDetails?.OldFilePath;
                uncommitted[entry.FilePath] = (mapped.State, mapped.State == GitFileState.Renamed ? oldPath : null);
            }
        }

        if (baseBranch is null)
        {
            var files = uncommitted.OrderBy(p => p.Key, StringComparer.Ordinal)
                .Select(p => new GitChangedFile(p.Key, p.Value.State, p.Value.OldPath, Uncommitted: true))
                .ToList();
            return new GitChangedFilesResponse(null, repo.Head.Tip?.Sha, files);
        }

        var baseCommit = BaseCommit(repo, baseBranch, mergeBase: true);
        var changes = repo.Diff.Compare<TreeChanges>(baseCommit?.Tree, DiffTargets.Index | DiffTargets.WorkingDirectory, null, null, CompareOptions);
        var result = new List<GitChangedFile>();
        foreach (var change in changes)
        {
            if (MapChange(change.Status) is { } state)
            {
                result.Add(new GitChangedFile(change.Path, state, state == GitFileState.Renamed ? change.OldPath : null,
                    uncommitted.ContainsKey(change.Path) || (change.OldPath is not null && uncommitted.ContainsKey(change.OldPath))));
            }
        }

        result.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        return new GitChangedFilesResponse(baseBranch, baseCommit?.Sha, result);
    }, cancellationToken);

    public Task<GitLogResponse> GetLogAsync(int? limit, string? reference, CancellationToken cancellationToken)
    {
        var take = limit ?? DefaultLogLimit;
        if (take is < 1 or > MaxLogLimit)
        {
            throw SidecarException.BadRequest($"'limit' must be between 1 and {MaxLogLimit} (got {take}).");
        }

        return RunAsync(repo =>
        {
            var name = string.IsNullOrWhiteSpace(reference) ? "HEAD" : reference;
            Commit? start = name == "HEAD" ? repo.Head.Tip : ResolveCommit(repo, name, "ref");
            if (start is null)
            {
                return new GitLogResponse(name, []);
            }

            var filter = new CommitFilter { IncludeReachableFrom = start, SortBy = CommitSortStrategies.Topological | CommitSortStrategies.Time };
            var commits = repo.Commits.QueryBy(filter).Take(take)
                .Select(c => new GitLogEntry(c.Sha, c.Message, c.MessageShort, c.Author.Name, c.Author.Email, c.Author.When,
                    c.Parents.Select(p => p.Sha).ToList()))
                .ToList();
            return new GitLogResponse(name, commits);
        }, cancellationToken);
    }

    // ---- commit / push ----

    public Task<GitCommitResponse> CommitAsync(GitCommitRequest request, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.Message))
        {
            throw SidecarException.BadRequest("'message' must not be blank.");
        }

        ValidateConfigValue(request.AuthorName, "authorName");
        ValidateConfigValue(request.AuthorEmail, "authorEmail");
        return RunAsync(repo =>
        {
            var now = _time.GetUtcNow();
            var name = request.AuthorName ?? repo.Config.Get<string>("user.name", ConfigurationLevel.Local)?.Value;
            var email = request.AuthorEmail ?? repo.Config.Get<string>("user.email", ConfigurationLevel.Local)?.Value;
            if (string.IsNullOrWhiteSpace(name) || string.IsNullOrWhiteSpace(email))
            {
                throw SidecarException.Unprocessable(
                    "No author identity: pass 'authorName' and 'authorEmail', or set them once with POST /git/config.");
            }

            Commands.Stage(repo, "*");
            var signature = new Signature(name, email, now);
            Commit commit;
            try
            {
                commit = repo.Commit(request.Message, signature, signature, new CommitOptions { AllowEmptyCommit = request.AllowEmpty });
            }
            catch (EmptyCommitException)
            {
                throw SidecarException.Conflict("Nothing to commit: the working tree matches HEAD (pass 'allowEmpty' to commit anyway).");
            }

            var parentTree = commit.Parents.FirstOrDefault()?.Tree;
            var changed = repo.Diff.Compare<TreeChanges>(parentTree, commit.Tree).Count;
            return new GitCommitResponse(commit.Sha, repo.Info.IsHeadDetached ? null : repo.Head.FriendlyName, changed);
        }, cancellationToken);
    }

    public Task<GitHeadResponse> ResetAsync(GitResetRequest request, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.Commit) || request.Commit.StartsWith('-'))
        {
            throw SidecarException.BadRequest("'commit' must name a commit (a sha or a reference).");
        }

        return RunAsync(repo =>
        {
            var target = repo.Lookup<Commit>(request.Commit.Trim())
                ?? throw SidecarException.NotFound($"Commit '{request.Commit}' does not exist in the workspace's repository.");
            repo.Reset(ResetMode.Hard, target);
            repo.RemoveUntrackedFiles();
            var detached = repo.Info.IsHeadDetached;
            return new GitHeadResponse(detached ? null : repo.Head.FriendlyName, repo.Head.Tip?.Sha, detached);
        }, cancellationToken);
    }

    public Task<GitPushResponse> PushAsync(GitPushRequest request, CancellationToken cancellationToken)
    {
        var remoteName = string.IsNullOrWhiteSpace(request.Remote) ? "origin" : request.Remote;
        if (!Remote.IsValidName(remoteName))
        {
            throw SidecarException.BadRequest($"'remote' ('{remoteName}') is not a valid remote name.");
        }

        if (request.Branch is not null)
        {
            ValidateBranchName(request.Branch, "branch");
        }

        string? expected = null;
        if (request.ExpectedRemoteSha is not null)
        {
            expected = request.ExpectedRemoteSha.Trim().ToLowerInvariant();
            if (expected.Length != 40 || !expected.All(char.IsAsciiHexDigitLower))
            {
                throw SidecarException.BadRequest($"'expectedRemoteSha' must be a full 40-character sha (or 40 zeros for \"must not exist\"); got '{request.ExpectedRemoteSha}'.");
            }
        }

        var credentials = CredentialsProvider(request.Credentials);
        return RunAsync(repo =>
        {
            var remote = repo.Network.Remotes[remoteName] ?? throw SidecarException.NotFound($"Remote '{remoteName}' is not configured.");
            string branchName;
            if (request.Branch is not null)
            {
                branchName = request.Branch;
            }
            else if (repo.Info.IsHeadDetached)
            {
                throw SidecarException.Conflict("HEAD is detached: name the 'branch' to push.");
            }
            else
            {
                branchName = repo.Head.FriendlyName;
            }

            var branch = repo.Branches[branchName] is { IsRemote: false } b ? b : throw SidecarException.NotFound($"Branch '{branchName}' does not exist.");
            var tip = branch.Tip ?? throw SidecarException.Conflict($"Branch '{branchName}' has no commit yet: commit first.");
            var remoteRef = "refs/heads/" + branchName;

            string? previous;
            try
            {
                var references = credentials is null ? repo.Network.ListReferences(remote) : repo.Network.ListReferences(remote, credentials);
                previous = references
                    .FirstOrDefault(r => string.Equals(r.CanonicalName, remoteRef, StringComparison.Ordinal))?.TargetIdentifier;
            }
            catch (LibGit2SharpException e)
            {
                throw SidecarException.Unprocessable($"Cannot reach remote '{remoteName}' ({remote.Url}): {e.Message}");
            }

            if (expected is not null)
            {
                var wanted = expected == ZeroSha ? null : expected;
                if (!string.Equals(previous, wanted, StringComparison.Ordinal))
                {
                    throw SidecarException.Conflict(
                        $"Push refused (lease): remote '{remoteName}' branch '{branchName}' is at {previous ?? "nothing (it does not exist)"}, not at the expected {request.ExpectedRemoteSha}.");
                }
            }

            var force = request.Force || expected is not null;
            PushStatusError? rejected = null;
            var options = new PushOptions { CredentialsProvider = credentials, OnPushStatusError = e => rejected = e };
            try
            {
                repo.Network.Push(remote, $"{(force ? "+" : "")}{branch.CanonicalName}:{remoteRef}", options);
            }
            catch (NonFastForwardException)
            {
                throw SidecarException.Conflict(
                    $"Push rejected: remote '{remoteName}' branch '{branchName}' (at {previous}) has commits that '{branchName}' (at {tip.Sha}) does not contain (not a fast-forward). Integrate them first, or push with 'force' / 'expectedRemoteSha'.");
            }
            catch (LibGit2SharpException e) when (e is not NotFoundException)
            {
                throw SidecarException.Unprocessable($"Push to remote '{remoteName}' ({remote.Url}) failed: {e.Message}");
            }

            if (rejected is not null)
            {
                throw SidecarException.Conflict($"The remote rejected {rejected.Reference}: {rejected.Message}");
            }

            if (!branch.IsTracking)
            {
                repo.Branches.Update(branch, u => u.Remote = remoteName, u => u.UpstreamBranch = remoteRef);
            }

            return new GitPushResponse(remoteName, branchName, remoteRef, tip.Sha, previous, force);
        }, cancellationToken);
    }

    // ---- plumbing ----

    /// <summary>Runs <paramref name="action"/> on the shared repository under the lock, mapping libgit2 failures to problems.</summary>
    private async Task<T> RunAsync<T>(Func<Repository, T> action, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return action(OpenRepository());
        }
        catch (LibGit2SharpException e)
        {
            throw Translate(e);
        }
        finally
        {
            _gate.Release();
        }
    }

    private static Exception Translate(LibGit2SharpException e) => e switch
    {
        RepositoryNotFoundException => NotARepository(),
        CheckoutConflictException => SidecarException.Conflict($"Checkout would overwrite local changes: {e.Message} Commit or discard them first."),
        NonFastForwardException => SidecarException.Conflict(e.Message),
        LockedFileException => SidecarException.Conflict($"The repository is locked (another git process?): {e.Message}"),
        NameConflictException => SidecarException.Conflict(e.Message),
        UnbornBranchException => SidecarException.Conflict($"HEAD has no commit yet: {e.Message}"),
        EmptyCommitException => SidecarException.Conflict(e.Message),
        InvalidSpecificationException => SidecarException.BadRequest(e.Message),
        NotFoundException => SidecarException.NotFound(e.Message),
        _ => e,
    };

    private static SidecarException NotARepository() =>
        SidecarException.Conflict("The workspace is not a git repository (no .git at its root): clone into it first (POST /git/clone).");

    /// <summary>The cached repository, reopened when <c>.git</c> was removed or replaced since it was opened.</summary>
    private Repository OpenRepository()
    {
        if (!GitDirExists())
        {
            DropRepository();
            throw NotARepository();
        }

        var stamp = GitStamp();
        if (_repo is not null && stamp == _gitStamp)
        {
            return _repo;
        }

        DropRepository();
        try
        {
            _repo = new Repository(_guard.Root);
        }
        catch (RepositoryNotFoundException)
        {
            throw NotARepository();
        }

        _gitStamp = stamp;
        return _repo;
    }

    private bool GitDirExists() => Directory.Exists(_gitPath) || File.Exists(_gitPath);

    // Birth time of .git (statx); a removed and re-created .git gets a new one.
    private DateTime GitStamp() => Directory.Exists(_gitPath) ? Directory.GetCreationTimeUtc(_gitPath) : File.GetCreationTimeUtc(_gitPath);

    private void DropRepository()
    {
        _repo?.Dispose();
        _repo = null;
    }

    private void CleanWorkspace()
    {
        DropRepository();
        foreach (var entry in new DirectoryInfo(_guard.Root).EnumerateFileSystemInfos())
        {
            try
            {
                if (entry is DirectoryInfo { LinkTarget: null } dir)
                {
                    dir.Delete(recursive: true);
                }
                else
                {
                    entry.Delete();
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                LogCleanupFailed(entry.Name, e.Message);
            }
        }
    }

    private static GitHeadResponse Head(Repository repo)
    {
        var detached = repo.Info.IsHeadDetached;
        return new GitHeadResponse(detached ? null : repo.Head.FriendlyName, repo.Head.Tip?.Sha, detached);
    }

    private static Commit ResolveCommit(Repository repo, string spec, string parameterName)
    {
        Commit? commit;
        try
        {
            commit = repo.Lookup<Commit>(spec);
        }
        catch (LibGit2SharpException)
        {
            commit = null;
        }

        return commit ?? throw SidecarException.NotFound($"'{parameterName}' ('{spec}') does not name a branch, tag or commit.");
    }

    /// <summary>The commit a diff is taken against: HEAD, or <paramref name="baseBranch"/> (its merge base with HEAD by default).</summary>
    private static Commit? BaseCommit(Repository repo, string? baseBranch, bool mergeBase)
    {
        if (string.IsNullOrWhiteSpace(baseBranch))
        {
            return repo.Head.Tip;
        }

        var tip = repo.Branches[baseBranch]?.Tip
            ?? repo.Branches["origin/" + baseBranch]?.Tip
            ?? ResolveCommit(repo, baseBranch, "base");
        if (!mergeBase || repo.Head.Tip is null)
        {
            return tip;
        }

        return repo.ObjectDatabase.FindMergeBase(tip, repo.Head.Tip) ?? tip;
    }

    private static Branch TrackRemoteBranch(Repository repo, string name)
    {
        foreach (var remote in repo.Network.Remotes)
        {
            if (repo.Branches[$"{remote.Name}/{name}"] is { IsRemote: true, Tip: { } tip } remoteBranch)
            {
                ValidateBranchName(name, "name");
                var local = repo.CreateBranch(name, tip);
                return repo.Branches.Update(local, u => u.TrackedBranch = remoteBranch.CanonicalName);
            }
        }

        throw SidecarException.NotFound($"Branch '{name}' does not exist (neither locally nor on a remote).");
    }

    private static (GitFileState State, bool Staged)? Map(FileStatus s)
    {
        const FileStatus Index = FileStatus.NewInIndex | FileStatus.ModifiedInIndex | FileStatus.DeletedFromIndex | FileStatus.RenamedInIndex | FileStatus.TypeChangeInIndex;
        var staged = (s & Index) != 0;
        if (s.HasFlag(FileStatus.Conflicted))
        {
            return (GitFileState.Conflicted, staged);
        }

        GitFileState? state =
            (s & (FileStatus.RenamedInIndex | FileStatus.RenamedInWorkdir)) != 0 ? GitFileState.Renamed
            : s.HasFlag(FileStatus.NewInIndex) ? GitFileState.Added
            : (s & (FileStatus.DeletedFromIndex | FileStatus.DeletedFromWorkdir)) != 0 ? GitFileState.Deleted
            : (s & (FileStatus.TypeChangeInIndex | FileStatus.TypeChangeInWorkdir)) != 0 ? GitFileState.TypeChanged
            : (s & (FileStatus.ModifiedInIndex | FileStatus.ModifiedInWorkdir)) != 0 ? GitFileState.Modified
            : s.HasFlag(FileStatus.NewInWorkdir) ? GitFileState.Untracked
            : null;
        return state is { } value ? (value, staged) : null;
    }

    private static GitFileState? MapChange(ChangeKind kind) => kind switch
    {
        ChangeKind.Added or ChangeKind.Untracked or ChangeKind.Copied => GitFileState.Added,
        ChangeKind.Modified => GitFileState.Modified,
        ChangeKind.Deleted => GitFileState.Deleted,
        ChangeKind.Renamed => GitFileState.Renamed,
        ChangeKind.TypeChanged => GitFileState.TypeChanged,
        ChangeKind.Conflicted => GitFileState.Conflicted,
        _ => null,
    };

    /// <summary>Cuts <paramref name="text"/> to at most <paramref name="maxBytes"/> UTF-8 bytes, at a line boundary.</summary>
    private static byte[]? BlobBytes(Repository repo, ObjectId id)
    {
        if (id == ObjectId.Zero || repo.Lookup<Blob>(id) is not { } blob)
        {
            return null;
        }

        if (blob.Size > MaxDiffFileBytes)
        {
            return TooLarge(blob.Size);
        }

        using var stream = blob.GetContentStream();
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    // The working tree's side. A symlink is diffed as its target (as git does), never followed out of the workspace.
    private static byte[]? WorkingBytes(Repository repo, string path)
    {
        var full = Path.Combine(repo.Info.WorkingDirectory, path);
        var info = new FileInfo(full);
        if (info.LinkTarget is { } target)
        {
            return Encoding.UTF8.GetBytes(target);
        }

        if (!info.Exists)
        {
            return null;
        }

        return info.Length > MaxDiffFileBytes ? TooLarge(info.Length) : File.ReadAllBytes(full);
    }

    // A stand-in that the diff shows as binary rather than reading a huge file into memory.
    private static byte[] TooLarge(long size) => [0, .. Encoding.UTF8.GetBytes($"{size} bytes")];

    internal static (string Text, bool Truncated, long TotalBytes) Truncate(string text, int maxBytes)
    {
        var total = Encoding.UTF8.GetByteCount(text);
        if (total <= maxBytes)
        {
            return (text, false, total);
        }

        var bytes = 0;
        var cut = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var size = char.IsHighSurrogate(text[i]) && i + 1 < text.Length ? 4 : text[i] < 0x80 ? 1 : text[i] < 0x800 ? 2 : 3;
            if (bytes + size > maxBytes)
            {
                break;
            }

            bytes += size;
            if (size == 4)
            {
                i++;
            }

            cut = i + 1;
        }

        var lastNewline = text.LastIndexOf('\n', Math.Max(cut - 1, 0));
        return (text[..(lastNewline >= 0 ? lastNewline + 1 : cut)], true, total);
    }

    internal static void ValidateBranchName(string? name, string parameterName)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            throw SidecarException.BadRequest($"'{parameterName}' is required: a branch name.");
        }

        if (name.StartsWith('-') || name.StartsWith("refs/", StringComparison.Ordinal) || name == "HEAD"
            || !Reference.IsValidName("refs/heads/" + name))
        {
            throw SidecarException.BadRequest($"'{parameterName}' ('{name}') is not a valid branch name (see git check-ref-format).");
        }
    }

    private static void ValidateConfigValue(string? value, string parameterName)
    {
        if (value is not null && (string.IsNullOrWhiteSpace(value) || value.AsSpan().IndexOfAny('\n', '\r', '\0') >= 0 || value.Length > 1024))
        {
            throw SidecarException.BadRequest($"'{parameterName}' must be a non-blank single line of at most 1024 characters.");
        }
    }

    private static CredentialsHandler? CredentialsProvider(GitCredentials? credentials) =>
        credentials is null
            ? null
            : (_, _, _) => new UsernamePasswordCredentials { Username = credentials.Username, Password = credentials.Password };

    /// <summary>Removes user info from a URL (it would otherwise be stored in <c>.git/config</c>); it becomes this call's credentials.</summary>
    internal static (string Url, GitCredentials? Credentials) StripUserInfo(string url, GitCredentials? credentials)
    {
        var scheme = url.IndexOf("://", StringComparison.Ordinal);
        if (scheme <= 0)
        {
            return (url, credentials);
        }

        var authorityStart = scheme + 3;
        var authorityEnd = url.IndexOf('/', authorityStart);
        if (authorityEnd < 0)
        {
            authorityEnd = url.Length;
        }

        var at = url.LastIndexOf('@', authorityEnd - 1, authorityEnd - authorityStart);
        if (at < 0)
        {
            return (url, credentials);
        }

        var userInfo = url[authorityStart..at];
        var stripped = url[..authorityStart] + url[(at + 1)..];
        if (credentials is null)
        {
            var colon = userInfo.IndexOf(':', StringComparison.Ordinal);
            var user = Uri.UnescapeDataString(colon < 0 ? userInfo : userInfo[..colon]);
            var password = colon < 0 ? string.Empty : Uri.UnescapeDataString(userInfo[(colon + 1)..]);
            credentials = new GitCredentials(user, password);
        }

        return (stripped, credentials);
    }

    /// <summary>Whether libgit2 will use its local transport (a plain path or <c>file://</c>), and the folder it reads.</summary>
    private static bool IsLocal(string url, out string path)
    {
        if (url.StartsWith("file://", StringComparison.OrdinalIgnoreCase))
        {
            path = Uri.UnescapeDataString(url["file://".Length..]);
            return true;
        }

        if (url.Contains("://", StringComparison.Ordinal) || (url.IndexOf(':', StringComparison.Ordinal) is > 0 and var colon && !url[..colon].Contains('/', StringComparison.Ordinal)))
        {
            // A URL, or scp-like "host:path".
            path = string.Empty;
            return false;
        }

        path = Path.GetFullPath(url);
        return true;
    }

    [LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Warning, Message = "Clone failed ({ExceptionType}); the workspace was emptied again")]
    private partial void LogCloneFailed(string exceptionType);

    [LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Warning, Message = "Could not remove '{Entry}' after a failed clone: {Reason}")]
    private partial void LogCleanupFailed(string entry, string reason);
}
