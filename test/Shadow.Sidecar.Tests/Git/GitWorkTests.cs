using System.Diagnostics;
using System.Net;
using LibGit2Sharp;
using Shadow.Sidecar.Contracts;
using Shadow.Sidecar.Contracts.Git;
using Shadow.Testing;
using Shouldly;

namespace Shadow.Sidecar.Tests.Git;

public sealed class GitWorkTests
{
    [Fact]
    public async Task Status_AfterEdits_ListsEachChangeWithItsState()
    {
        await using var ws = await GitTestWorkspace.StartAsync();
        var clean = await ws.GetAsync<GitStatusResponse>(SidecarRoutes.Git.Status);
        ws.Write("src/app.txt", "line one\nline two changed\n");
        ws.Write("docs/new.md", "new\n");
        File.Delete(ws.PathOf("src/old.txt"));

        // Act
        var status = await ws.GetAsync<GitStatusResponse>(SidecarRoutes.Git.Status);

        // Assert
        clean.Clean.ShouldBeTrue();
        clean.Files.ShouldBeEmpty();
        clean.Upstream.ShouldBe("origin/main");
        status.Clean.ShouldBeFalse();
        status.Branch.ShouldBe("main");
        status.Files.ShouldContain(new GitStatusEntry("src/app.txt", GitFileState.Modified, null, false));
        status.Files.ShouldContain(new GitStatusEntry("docs/new.md", GitFileState.Untracked, null, false));
        status.Files.ShouldContain(new GitStatusEntry("src/old.txt", GitFileState.Deleted, null, false));
        status.Files.Count.ShouldBe(3);
        status.Ahead.ShouldBe(0);
        status.Behind.ShouldBe(0);
    }

    [Fact]
    public async Task Diff_WorkingTree_ShowsEditsAndUntrackedFilesAsAdditions()
    {
        await using var ws = await GitTestWorkspace.StartAsync();
        ws.Write("src/app.txt", "line one\nline 2\n");
        ws.Write("fresh.txt", "brand new line\n");

        // Act
        var diff = await ws.GetAsync<GitDiffResponse>(SidecarRoutes.Git.Diff);

        // Assert
        diff.Truncated.ShouldBeFalse();
        diff.FilesChanged.ShouldBe(2);
        diff.Patch.ShouldContain("diff --git a/src/app.txt b/src/app.txt");
        diff.Patch.ShouldContain("-line two\n+line 2\n");
        diff.Patch.ShouldContain("diff --git a/fresh.txt b/fresh.txt");
        diff.Patch.ShouldContain("new file mode");
        diff.Patch.ShouldContain("+brand new line");
        diff.LinesAdded.ShouldBe(2);
        diff.LinesDeleted.ShouldBe(1);
    }

    [Fact]
    public async Task Diff_AgainstBaseBranch_ShowsCommittedAndUncommittedWork()
    {
        await using var ws = await GitTestWorkspace.StartAsync();
        var main = await ws.GetAsync<GitHeadResponse>(SidecarRoutes.Git.Head);
        await ws.PostAsync<GitBranchResponse>(SidecarRoutes.Git.Branch, new GitBranchRequest("feature", Checkout: true));
        ws.Write("committed.txt", "committed on feature\n");
        await ws.PostAsync<GitCommitResponse>(SidecarRoutes.Git.Commit, new GitCommitRequest("feature work"));
        ws.Write("pending.txt", "not committed yet\n");

        // Act
        var vsHead = await ws.GetAsync<GitDiffResponse>(SidecarRoutes.Git.Diff);
        var vsMain = await ws.GetAsync<GitDiffResponse>(SidecarRoutes.Git.Diff + "?base=main");
        var changed = await ws.GetAsync<GitChangedFilesResponse>(SidecarRoutes.Git.ChangedFiles + "?base=main");
        var uncommitted = await ws.GetAsync<GitChangedFilesResponse>(SidecarRoutes.Git.ChangedFiles);

        // Assert
        vsHead.Patch.ShouldNotContain("committed.txt b/committed.txt");
        vsHead.Patch.ShouldContain("pending.txt");
        vsMain.Base.ShouldBe("main");
        vsMain.BaseCommit.ShouldBe(main.Commit);
        vsMain.Patch.ShouldContain("+committed on feature");
        vsMain.Patch.ShouldContain("+not committed yet");
        changed.Files.ShouldBe([
            new GitChangedFile("committed.txt", GitFileState.Added, null, Uncommitted: false),
            new GitChangedFile("pending.txt", GitFileState.Added, null, Uncommitted: true),
        ]);
        uncommitted.Files.ShouldBe([new GitChangedFile("pending.txt", GitFileState.Untracked, null, Uncommitted: true)]);
        (await ws.GetProblemAsync(SidecarRoutes.Git.Diff + "?base=nope", HttpStatusCode.NotFound)).Detail.ShouldContain("nope");
        (await ws.GetProblemAsync(SidecarRoutes.Git.ChangedFiles + "?base=nope", HttpStatusCode.NotFound)).Detail.ShouldContain("nope");
    }

    [Fact]
    public async Task Diff_LargerThanCap_IsTruncatedAtLineBoundary()
    {
        await using var ws = await GitTestWorkspace.StartAsync();
        ws.Write("big.txt", string.Concat(Enumerable.Range(0, 2000).Select(i => $"line number {i} with some padding text\n")));

        // Act
        var diff = await ws.GetAsync<GitDiffResponse>(SidecarRoutes.Git.Diff + "?maxBytes=4096");

        // Assert
        diff.Truncated.ShouldBeTrue();
        System.Text.Encoding.UTF8.GetByteCount(diff.Patch).ShouldBeLessThanOrEqualTo(4096);
        diff.Patch.ShouldEndWith("\n");
        diff.TotalBytes.ShouldBeGreaterThan(60_000);
        diff.LinesAdded.ShouldBe(2000);
        (await ws.GetProblemAsync(SidecarRoutes.Git.Diff + "?maxBytes=10", HttpStatusCode.BadRequest)).Detail.ShouldContain("maxBytes");
    }

    [Fact]
    public async Task Commit_AllChanges_ReturnsShaThatLogShows()
    {
        await using var ws = await GitTestWorkspace.StartAsync();
        ws.Write("src/app.txt", "edited\n");
        ws.Write("added/one.txt", "one\n");
        File.Delete(ws.PathOf("src/old.txt"));

        // Act
        var commit = await ws.PostAsync<GitCommitResponse>(SidecarRoutes.Git.Commit, new GitCommitRequest("Agent change\n\nBody text."));

        // Assert
        commit.Sha.Length.ShouldBe(40);
        commit.Branch.ShouldBe("main");
        commit.FilesChanged.ShouldBe(3);
        var log = await ws.GetAsync<GitLogResponse>(SidecarRoutes.Git.Log + "?limit=5");
        log.Commits.Count.ShouldBe(2);
        log.Commits[0].Sha.ShouldBe(commit.Sha);
        log.Commits[0].Summary.ShouldBe("Agent change");
        log.Commits[0].AuthorName.ShouldBe("Agent Smith");
        log.Commits[0].AuthorEmail.ShouldBe("agent@shadow.dev");
        log.Commits[0].Parents.ShouldBe([log.Commits[1].Sha]);
        var status = await ws.GetAsync<GitStatusResponse>(SidecarRoutes.Git.Status);
        status.Clean.ShouldBeTrue();
        status.Ahead.ShouldBe(1);
        using var repo = new Repository(ws.Workspace);
        repo.Head.Tip.Tree["src/old.txt"].ShouldBeNull();
        repo.Head.Tip.Tree["added/one.txt"].ShouldNotBeNull();
    }

    [Fact]
    public async Task Commit_BadRequests_AnswerClearProblems()
    {
        await using var ws = await GitTestWorkspace.StartAsync(configure: false);

        // Act / Assert
        (await ws.PostProblemAsync(SidecarRoutes.Git.Commit, new GitCommitRequest("nothing", "A", "a@b.c"), HttpStatusCode.Conflict)).Detail.ShouldContain("Nothing to commit");
        var empty = await ws.PostAsync<GitCommitResponse>(SidecarRoutes.Git.Commit, new GitCommitRequest("empty", "A", "a@b.c", AllowEmpty: true));
        empty.FilesChanged.ShouldBe(0);
        ws.Write("x.txt", "x");
        (await ws.PostProblemAsync(SidecarRoutes.Git.Commit, new GitCommitRequest("no identity"), HttpStatusCode.UnprocessableEntity)).Detail.ShouldContain("/git/config");
        (await ws.PostProblemAsync(SidecarRoutes.Git.Commit, new GitCommitRequest("  ", "A", "a@b.c"), HttpStatusCode.BadRequest)).Detail.ShouldContain("message");
        (await ws.PostRawProblemAsync(SidecarRoutes.Git.Commit, """{"authorName":"A"}""", HttpStatusCode.BadRequest)).Detail.ShouldNotBeNull();
        var withAuthor = await ws.PostAsync<GitCommitResponse>(SidecarRoutes.Git.Commit, new GitCommitRequest("explicit", "Bob", "bob@shadow.dev"));
        var log = await ws.GetAsync<GitLogResponse>(SidecarRoutes.Git.Log + "?limit=1");
        log.Commits.ShouldHaveSingleItem().Sha.ShouldBe(withAuthor.Sha);
        log.Commits[0].AuthorName.ShouldBe("Bob");
    }

    [Fact]
    public async Task Log_RefAndLimit_WalksThatHistory()
    {
        await using var ws = await GitTestWorkspace.StartAsync();
        var first = (await ws.GetAsync<GitHeadResponse>(SidecarRoutes.Git.Head)).Commit;
        await ws.PostAsync<GitBranchResponse>(SidecarRoutes.Git.Branch, new GitBranchRequest("topic", Checkout: true));
        for (var i = 0; i < 3; i++)
        {
            ws.Write("n.txt", i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            await ws.PostAsync<GitCommitResponse>(SidecarRoutes.Git.Commit, new GitCommitRequest($"c{i}"));
        }

        // Act
        var two = await ws.GetAsync<GitLogResponse>(SidecarRoutes.Git.Log + "?limit=2");
        var main = await ws.GetAsync<GitLogResponse>(SidecarRoutes.Git.Log + "?ref=main");

        // Assert
        two.Commits.Select(c => c.Summary).ShouldBe(["c2", "c1"]);
        main.Ref.ShouldBe("main");
        main.Commits.ShouldHaveSingleItem().Sha.ShouldBe(first);
        (await ws.GetProblemAsync(SidecarRoutes.Git.Log + "?limit=0", HttpStatusCode.BadRequest)).Detail.ShouldContain("limit");
        (await ws.GetProblemAsync(SidecarRoutes.Git.Log + "?limit=abc", HttpStatusCode.BadRequest)).Detail.ShouldContain("limit");
        (await ws.GetProblemAsync(SidecarRoutes.Git.Log + "?ref=nowhere", HttpStatusCode.NotFound)).Detail.ShouldContain("nowhere");
    }

    [Fact]
    public async Task NotARepository_EveryRouteButClone_Answers409()
    {
        await using var ws = await GitTestWorkspace.StartAsync(clone: false);
        string[] gets = [SidecarRoutes.Git.Status, SidecarRoutes.Git.Diff, SidecarRoutes.Git.Log, SidecarRoutes.Git.Head, SidecarRoutes.Git.ChangedFiles];
        (string Route, object Body)[] posts =
        [
            (SidecarRoutes.Git.Config, new GitConfigRequest("a", "b@c.d")),
            (SidecarRoutes.Git.Branch, new GitBranchRequest("x")),
            (SidecarRoutes.Git.Checkout, new GitCheckoutRequest("x")),
            (SidecarRoutes.Git.Commit, new GitCommitRequest("m", "a", "b@c.d")),
            (SidecarRoutes.Git.Push, new GitPushRequest()),
        ];

        // Act / Assert
        foreach (var route in gets)
        {
            (await ws.GetProblemAsync(route, HttpStatusCode.Conflict)).Detail.ShouldContain("not a git repository", customMessage: route);
        }

        foreach (var (route, body) in posts)
        {
            (await ws.PostProblemAsync(route, body, HttpStatusCode.Conflict)).Detail.ShouldContain("not a git repository", customMessage: route);
        }

        var status = await ws.GetAsync<Shadow.Sidecar.Contracts.Common.StatusResponse>(SidecarRoutes.Status);
        status.GitBranch.ShouldBeNull();
    }

    [Fact]
    public async Task Status_OnTwoHundredFiles_IsFast()
    {
        // Rough measurement (printed, not asserted: the machine is shared); the target is p50 < 1.5 ms.
        using var dir = new TempDirectory("shadow-git-perf");
        var remote = GitRepos.CreateBareRemote(dir.Combine("remote.git"), GitRepos.SmallFiles(200));
        var workspace = dir.CreateSubdirectory("ws");
        await using var sidecar = await SidecarProcess.StartAsync(workspace, dir.Combine("state"), null, TestContext.Current.CancellationToken);
        using var http = sidecar.CreateHttpClient();
        using (var clone = await http.PostAsync(SidecarRoutes.Git.Clone, System.Net.Http.Json.JsonContent.Create(new GitCloneRequest(remote), options: SidecarJson.Options), TestContext.Current.CancellationToken))
        {
            clone.EnsureSuccessStatusCode();
        }

        File.AppendAllText(Path.Combine(workspace, "src/dir1/file1.txt"), "edit\n");
        var samples = new List<double>();
        for (var i = 0; i < 400; i++)
        {
            var start = Stopwatch.GetTimestamp();
            using var response = await http.GetAsync(SidecarRoutes.Git.Status, TestContext.Current.CancellationToken);
            _ = await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken);
            response.StatusCode.ShouldBe(HttpStatusCode.OK);
            if (i >= 100)
            {
                samples.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
        }

        samples.Sort();
        var p50 = samples[samples.Count / 2];
        TestContext.Current.TestOutputHelper?.WriteLine($"git status over HTTP (JIT, debug build): p50 {p50:F3} ms, p99 {samples[(int)(samples.Count * 0.99)]:F3} ms");
        p50.ShouldBeLessThan(50, "git status should not reopen or rescan the repository per call");
    }
}
