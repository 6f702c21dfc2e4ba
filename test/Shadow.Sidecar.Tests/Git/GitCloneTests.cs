using System.Net;
using LibGit2Sharp;
using Shadow.Sidecar.Contracts;
using Shadow.Sidecar.Contracts.Git;
using Shouldly;

namespace Shadow.Sidecar.Tests.Git;

public sealed class GitCloneTests
{
    [Fact]
    public async Task Clone_FromPlainPath_ChecksOutRemoteHead()
    {
        await using var ws = await GitTestWorkspace.StartAsync(clone: false);

        // Act
        var clone = await ws.PostAsync<GitCloneResponse>(SidecarRoutes.Git.Clone, new GitCloneRequest(ws.Remote));

        // Assert
        using var bare = new Repository(ws.Remote);
        clone.Branch.ShouldBe("main");
        clone.Commit.ShouldBe(bare.Branches["main"].Tip.Sha);
        clone.RemoteUrl.ShouldBe(ws.Remote);
        File.ReadAllText(ws.PathOf("src/app.txt")).ShouldBe(GitTestWorkspace.SeedFiles["src/app.txt"]);
        var head = await ws.GetAsync<GitHeadResponse>(SidecarRoutes.Git.Head);
        head.ShouldBe(new GitHeadResponse("main", clone.Commit, Detached: false));
    }

    [Fact]
    public async Task Clone_FromFileUrlWithBranch_ChecksOutThatBranch()
    {
        await using var ws = await GitTestWorkspace.StartAsync(clone: false);
        using (var bare = new Repository(ws.Remote))
        {
            bare.CreateBranch("release", bare.Branches["main"].Tip);
        }

        // Act
        var clone = await ws.PostAsync<GitCloneResponse>(SidecarRoutes.Git.Clone, new GitCloneRequest("file://" + ws.Remote, Branch: "release", Depth: 1));

        // Assert
        clone.Branch.ShouldBe("release");
        clone.RemoteUrl.ShouldBe("file://" + ws.Remote);
        clone.Shallow.ShouldBeFalse("libgit2 cannot clone shallow over the local transport; depth is ignored there");
        File.Exists(ws.PathOf("README.md")).ShouldBeTrue();
    }

    [Fact]
    public async Task Clone_UrlWithUserInfo_StoresNoSecret()
    {
        await using var ws = await GitTestWorkspace.StartAsync(clone: false);

        // Act
        var clone = await ws.PostAsync<GitCloneResponse>(SidecarRoutes.Git.Clone, new GitCloneRequest($"file://agent:s3cr3t-pass@{ws.Remote}"));

        // Assert
        clone.RemoteUrl.ShouldBe("file://" + ws.Remote);
        var config = File.ReadAllText(ws.PathOf(".git/config"));
        config.ShouldNotContain("s3cr3t-pass");
        config.ShouldNotContain("agent:");
        config.ShouldContain("file://" + ws.Remote);
    }

    [Fact]
    public async Task Clone_WithCredentials_WritesThemNowhereInTheWorkspace()
    {
        await using var ws = await GitTestWorkspace.StartAsync(clone: false);

        // Act
        await ws.PostAsync<GitCloneResponse>(SidecarRoutes.Git.Clone,
            new GitCloneRequest("file://" + ws.Remote, Credentials: new GitCredentials("agent", "tok-9f8e7d6c5b4a")));

        // Assert
        foreach (var file in Directory.EnumerateFiles(ws.Workspace, "*", SearchOption.AllDirectories).Where(f => !f.Contains("/objects/", StringComparison.Ordinal)))
        {
            File.ReadAllText(file).ShouldNotContain("tok-9f8e7d6c5b4a", customMessage: file);
        }
    }

    [Fact]
    public async Task Clone_MissingRepository_Answers422AndLeavesWorkspaceEmpty()
    {
        await using var ws = await GitTestWorkspace.StartAsync(clone: false);

        // Act
        var missingPath = await ws.PostProblemAsync(SidecarRoutes.Git.Clone, new GitCloneRequest(ws.Dir.Combine("nope.git")), HttpStatusCode.UnprocessableEntity);
        var notARepo = await ws.PostProblemAsync(SidecarRoutes.Git.Clone, new GitCloneRequest(ws.Dir.Combine("state")), HttpStatusCode.UnprocessableEntity);
        var unreachable = await ws.PostProblemAsync(SidecarRoutes.Git.Clone, new GitCloneRequest("http://127.0.0.1:1/repo.git"), HttpStatusCode.UnprocessableEntity);

        // Assert
        missingPath.Detail.ShouldContain("does not exist");
        notARepo.Detail.ShouldContain("Cannot clone");
        unreachable.Detail.ShouldContain("127.0.0.1");
        Directory.EnumerateFileSystemEntries(ws.Workspace).ShouldBeEmpty();
    }

    [Fact]
    public async Task Clone_MissingBranch_Answers404NamingBranchAndLeavesWorkspaceEmpty()
    {
        await using var ws = await GitTestWorkspace.StartAsync(clone: false);

        // Act
        var problem = await ws.PostProblemAsync(SidecarRoutes.Git.Clone, new GitCloneRequest(ws.Remote, Branch: "no-such-branch"), HttpStatusCode.NotFound);

        // Assert
        problem.Detail.ShouldContain("'no-such-branch'");
        Directory.EnumerateFileSystemEntries(ws.Workspace).ShouldBeEmpty();
        // The failed attempt left nothing behind: a real clone works afterwards.
        (await ws.PostAsync<GitCloneResponse>(SidecarRoutes.Git.Clone, new GitCloneRequest(ws.Remote))).Branch.ShouldBe("main");
    }

    [Fact]
    public async Task Clone_NonEmptyWorkspace_Answers409()
    {
        await using var ws = await GitTestWorkspace.StartAsync(clone: false);
        ws.Write("notes.txt", "mine");

        // Act
        var problem = await ws.PostProblemAsync(SidecarRoutes.Git.Clone, new GitCloneRequest(ws.Remote), HttpStatusCode.Conflict);

        // Assert
        problem.Detail.ShouldContain("not empty");
        problem.Detail.ShouldContain("notes.txt");
        File.ReadAllText(ws.PathOf("notes.txt")).ShouldBe("mine");
    }

    [Fact]
    public async Task Clone_BadInputs_Answer400()
    {
        await using var ws = await GitTestWorkspace.StartAsync(clone: false);

        // Act / Assert
        (await ws.PostProblemAsync(SidecarRoutes.Git.Clone, new GitCloneRequest("  "), HttpStatusCode.BadRequest)).Detail.ShouldContain("url");
        (await ws.PostProblemAsync(SidecarRoutes.Git.Clone, new GitCloneRequest(ws.Remote, Depth: 0), HttpStatusCode.BadRequest)).Detail.ShouldContain("depth");
        (await ws.PostProblemAsync(SidecarRoutes.Git.Clone, new GitCloneRequest(ws.Remote, Branch: "bad..name"), HttpStatusCode.BadRequest)).Detail.ShouldContain("bad..name");
        (await ws.PostRawProblemAsync(SidecarRoutes.Git.Clone, """{"branch":"main"}""", HttpStatusCode.BadRequest)).Detail.ShouldNotBeNull();
        Directory.EnumerateFileSystemEntries(ws.Workspace).ShouldBeEmpty();
    }
}
