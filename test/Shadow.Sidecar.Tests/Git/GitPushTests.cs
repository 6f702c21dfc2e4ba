using System.Net;
using LibGit2Sharp;
using Shadow.Sidecar.Contracts;
using Shadow.Sidecar.Contracts.Git;
using Shadow.Testing;
using Shouldly;

namespace Shadow.Sidecar.Tests.Git;

public sealed class GitPushTests
{
    private static string RemoteSha(string bare, string branch)
    {
        using var repo = new Repository(bare);
        return repo.Branches[branch]?.Tip.Sha ?? "(missing)";
    }

    /// <summary>Someone else pushes a commit to <paramref name="bare"/>'s main, outside the sidecar.</summary>
    private static string PushElsewhere(string bare, string scratch)
    {
        Repository.Clone(bare, scratch);
        using var repo = new Repository(scratch);
        File.WriteAllText(Path.Combine(scratch, "theirs.txt"), "someone else's work\n");
        Commands.Stage(repo, "*");
        var commit = repo.Commit("theirs", GitRepos.Author, GitRepos.Author);
        repo.Network.Push(repo.Network.Remotes["origin"], "refs/heads/main:refs/heads/main");
        return commit.Sha;
    }

    [Fact]
    public async Task Push_CommitToBareRemote_RemoteBranchHasTheSha()
    {
        await using var ws = await GitTestWorkspace.StartAsync();
        var before = RemoteSha(ws.Remote, "main");
        ws.Write("feature.txt", "done\n");
        var commit = await ws.PostAsync<GitCommitResponse>(SidecarRoutes.Git.Commit, new GitCommitRequest("feature"));

        // Act
        var push = await ws.PostAsync<GitPushResponse>(SidecarRoutes.Git.Push, new GitPushRequest());

        // Assert
        push.ShouldBe(new GitPushResponse("origin", "main", "refs/heads/main", commit.Sha, before, Forced: false));
        RemoteSha(ws.Remote, "main").ShouldBe(commit.Sha);
        (await ws.GetAsync<GitStatusResponse>(SidecarRoutes.Git.Status)).Ahead.ShouldBe(0);
    }

    [Fact]
    public async Task Push_NewBranchWithCredentials_CreatesRemoteBranchAndTracksIt()
    {
        await using var ws = await GitTestWorkspace.StartAsync();
        await ws.PostAsync<GitBranchResponse>(SidecarRoutes.Git.Branch, new GitBranchRequest("agent/task-1", Checkout: true));
        ws.Write("work.txt", "work\n");
        var commit = await ws.PostAsync<GitCommitResponse>(SidecarRoutes.Git.Commit, new GitCommitRequest("work"));

        // Act
        var push = await ws.PostAsync<GitPushResponse>(SidecarRoutes.Git.Push,
            new GitPushRequest(Credentials: new GitCredentials("agent", "push-secret-123"), ExpectedRemoteSha: new string('0', 40)));

        // Assert
        push.PreviousRemoteSha.ShouldBeNull();
        RemoteSha(ws.Remote, "agent/task-1").ShouldBe(commit.Sha);
        var status = await ws.GetAsync<GitStatusResponse>(SidecarRoutes.Git.Status);
        status.Upstream.ShouldBe("origin/agent/task-1");
        status.Ahead.ShouldBe(0);
        File.ReadAllText(ws.PathOf(".git/config")).ShouldNotContain("push-secret-123");
    }

    [Fact]
    public async Task Push_NonFastForward_Answers409AndLeavesRemoteAlone()
    {
        await using var ws = await GitTestWorkspace.StartAsync();
        var theirs = PushElsewhere(ws.Remote, ws.Dir.Combine("other"));
        ws.Write("mine.txt", "mine\n");
        await ws.PostAsync<GitCommitResponse>(SidecarRoutes.Git.Commit, new GitCommitRequest("mine"));

        // Act
        var problem = await ws.PostProblemAsync(SidecarRoutes.Git.Push, new GitPushRequest(), HttpStatusCode.Conflict);

        // Assert
        problem.Detail.ShouldContain("not a fast-forward");
        RemoteSha(ws.Remote, "main").ShouldBe(theirs);
    }

    [Fact]
    public async Task Push_ExpectedRemoteSha_ForcesOnlyWhenTheLeaseHolds()
    {
        await using var ws = await GitTestWorkspace.StartAsync();
        var original = RemoteSha(ws.Remote, "main");
        var theirs = PushElsewhere(ws.Remote, ws.Dir.Combine("other"));
        ws.Write("mine.txt", "mine\n");
        var mine = await ws.PostAsync<GitCommitResponse>(SidecarRoutes.Git.Commit, new GitCommitRequest("mine"));

        // Act
        var stale = await ws.PostProblemAsync(SidecarRoutes.Git.Push, new GitPushRequest(ExpectedRemoteSha: original), HttpStatusCode.Conflict);
        var remoteAfterStale = RemoteSha(ws.Remote, "main");
        var leased = await ws.PostAsync<GitPushResponse>(SidecarRoutes.Git.Push, new GitPushRequest(ExpectedRemoteSha: theirs));

        // Assert
        stale.Detail.ShouldContain(theirs);
        remoteAfterStale.ShouldBe(theirs);
        leased.Forced.ShouldBeTrue();
        leased.PreviousRemoteSha.ShouldBe(theirs);
        RemoteSha(ws.Remote, "main").ShouldBe(mine.Sha);
    }

    [Fact]
    public async Task Push_Force_OverwritesRemote()
    {
        await using var ws = await GitTestWorkspace.StartAsync();
        PushElsewhere(ws.Remote, ws.Dir.Combine("other"));
        ws.Write("mine.txt", "mine\n");
        var mine = await ws.PostAsync<GitCommitResponse>(SidecarRoutes.Git.Commit, new GitCommitRequest("mine"));

        // Act
        var push = await ws.PostAsync<GitPushResponse>(SidecarRoutes.Git.Push, new GitPushRequest(Remote: "origin", Branch: "main", Force: true));

        // Assert
        push.Forced.ShouldBeTrue();
        RemoteSha(ws.Remote, "main").ShouldBe(mine.Sha);
    }

    [Fact]
    public async Task Push_BadRequests_AnswerClearProblems()
    {
        await using var ws = await GitTestWorkspace.StartAsync();

        // Act / Assert
        (await ws.PostProblemAsync(SidecarRoutes.Git.Push, new GitPushRequest(Remote: "upstream"), HttpStatusCode.NotFound)).Detail.ShouldContain("'upstream'");
        (await ws.PostProblemAsync(SidecarRoutes.Git.Push, new GitPushRequest(Branch: "ghost"), HttpStatusCode.NotFound)).Detail.ShouldContain("'ghost'");
        (await ws.PostProblemAsync(SidecarRoutes.Git.Push, new GitPushRequest(Branch: "bad..name"), HttpStatusCode.BadRequest)).Detail.ShouldContain("bad..name");
        (await ws.PostProblemAsync(SidecarRoutes.Git.Push, new GitPushRequest(ExpectedRemoteSha: "abc"), HttpStatusCode.BadRequest)).Detail.ShouldContain("expectedRemoteSha");
        Directory.Delete(ws.Remote, recursive: true);
        (await ws.PostProblemAsync(SidecarRoutes.Git.Push, new GitPushRequest(), HttpStatusCode.UnprocessableEntity)).Detail.ShouldContain("origin");
    }
}
