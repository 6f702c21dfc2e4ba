using System.Net;
using LibGit2Sharp;
using Shadow.Sidecar.Contracts;
using Shadow.Sidecar.Contracts.Git;
using Shouldly;

namespace Shadow.Sidecar.Tests.Git;

public sealed class GitBranchTests
{
    [Fact]
    public async Task Config_UserNameAndEmail_WrittenToRepositoryConfig()
    {
        await using var ws = await GitTestWorkspace.StartAsync(configure: false);

        // Act
        var config = await ws.PostAsync<GitConfigResponse>(SidecarRoutes.Git.Config, new GitConfigRequest("Ada Lovelace", "ada@example.com"));
        var partial = await ws.PostAsync<GitConfigResponse>(SidecarRoutes.Git.Config, new GitConfigRequest(UserEmail: "ada@shadow.dev"));

        // Assert
        config.ShouldBe(new GitConfigResponse("Ada Lovelace", "ada@example.com"));
        partial.ShouldBe(new GitConfigResponse("Ada Lovelace", "ada@shadow.dev"));
        using var repo = new Repository(ws.Workspace);
        repo.Config.Get<string>("user.name", ConfigurationLevel.Local).Value.ShouldBe("Ada Lovelace");
        repo.Config.Get<string>("user.email", ConfigurationLevel.Local).Value.ShouldBe("ada@shadow.dev");
        (await ws.PostProblemAsync(SidecarRoutes.Git.Config, new GitConfigRequest(), HttpStatusCode.BadRequest)).Detail.ShouldContain("userName");
        (await ws.PostProblemAsync(SidecarRoutes.Git.Config, new GitConfigRequest("two\nlines"), HttpStatusCode.BadRequest)).Detail.ShouldContain("userName");
    }

    [Fact]
    public async Task Branch_CreateWithCheckout_MovesHead()
    {
        await using var ws = await GitTestWorkspace.StartAsync();
        var head = await ws.GetAsync<GitHeadResponse>(SidecarRoutes.Git.Head);

        // Act
        var created = await ws.PostAsync<GitBranchResponse>(SidecarRoutes.Git.Branch, new GitBranchRequest("feature/login", Checkout: true));
        var other = await ws.PostAsync<GitBranchResponse>(SidecarRoutes.Git.Branch, new GitBranchRequest("side", StartPoint: "main"));

        // Assert
        created.ShouldBe(new GitBranchResponse("feature/login", head.Commit!, CheckedOut: true));
        other.CheckedOut.ShouldBeFalse();
        (await ws.GetAsync<GitHeadResponse>(SidecarRoutes.Git.Head)).Branch.ShouldBe("feature/login");
        var back = await ws.PostAsync<GitHeadResponse>(SidecarRoutes.Git.Checkout, new GitCheckoutRequest("main"));
        back.Branch.ShouldBe("main");
        using var repo = new Repository(ws.Workspace);
        repo.Branches["side"].Tip.Sha.ShouldBe(head.Commit);
    }

    [Fact]
    public async Task Branch_BadRequests_AnswerClearProblems()
    {
        await using var ws = await GitTestWorkspace.StartAsync();
        await ws.PostAsync<GitBranchResponse>(SidecarRoutes.Git.Branch, new GitBranchRequest("dup"));

        // Act / Assert
        (await ws.PostProblemAsync(SidecarRoutes.Git.Branch, new GitBranchRequest("dup"), HttpStatusCode.Conflict)).Detail.ShouldContain("already exists");
        (await ws.PostProblemAsync(SidecarRoutes.Git.Branch, new GitBranchRequest("main"), HttpStatusCode.Conflict)).Detail.ShouldContain("'main'");
        foreach (var bad in new[] { "bad..name", "with space", "-dash", "trailing/", "x.lock", "a~b", "" })
        {
            (await ws.PostProblemAsync(SidecarRoutes.Git.Branch, new GitBranchRequest(bad), HttpStatusCode.BadRequest)).Detail.ShouldContain("name");
        }

        (await ws.PostProblemAsync(SidecarRoutes.Git.Branch, new GitBranchRequest("ok", StartPoint: "nowhere"), HttpStatusCode.NotFound)).Detail.ShouldContain("nowhere");
        (await ws.PostProblemAsync(SidecarRoutes.Git.Checkout, new GitCheckoutRequest("ghost"), HttpStatusCode.NotFound)).Detail.ShouldContain("'ghost'");
        (await ws.PostProblemAsync(SidecarRoutes.Git.Checkout, new GitCheckoutRequest(" "), HttpStatusCode.BadRequest)).Detail.ShouldContain("name");
    }

    [Fact]
    public async Task Checkout_BranchOnlyOnRemote_CreatesTrackingBranch()
    {
        await using var ws = await GitTestWorkspace.StartAsync(clone: false);
        string releaseSha;
        using (var bare = new Repository(ws.Remote))
        {
            releaseSha = bare.CreateBranch("release", bare.Branches["main"].Tip).Tip.Sha;
        }

        await ws.PostAsync<GitCloneResponse>(SidecarRoutes.Git.Clone, new GitCloneRequest(ws.Remote));

        // Act
        var head = await ws.PostAsync<GitHeadResponse>(SidecarRoutes.Git.Checkout, new GitCheckoutRequest("release"));

        // Assert
        head.ShouldBe(new GitHeadResponse("release", releaseSha, Detached: false));
        var status = await ws.GetAsync<GitStatusResponse>(SidecarRoutes.Git.Status);
        status.Upstream.ShouldBe("origin/release");
        status.Ahead.ShouldBe(0);
    }

    [Fact]
    public async Task Checkout_WithConflictingLocalChange_Answers409()
    {
        await using var ws = await GitTestWorkspace.StartAsync();
        await ws.PostAsync<GitBranchResponse>(SidecarRoutes.Git.Branch, new GitBranchRequest("other", Checkout: true));
        ws.Write("README.md", "changed on other\n");
        await ws.PostAsync<GitCommitResponse>(SidecarRoutes.Git.Commit, new GitCommitRequest("other readme"));
        await ws.PostAsync<GitHeadResponse>(SidecarRoutes.Git.Checkout, new GitCheckoutRequest("main"));
        ws.Write("README.md", "uncommitted on main\n");

        // Act
        var problem = await ws.PostProblemAsync(SidecarRoutes.Git.Checkout, new GitCheckoutRequest("other"), HttpStatusCode.Conflict);

        // Assert
        problem.Detail.ShouldContain("local changes");
        File.ReadAllText(ws.PathOf("README.md")).ShouldBe("uncommitted on main\n");
    }
}
