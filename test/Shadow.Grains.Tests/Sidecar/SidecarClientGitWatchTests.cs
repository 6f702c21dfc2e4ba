using System.Net;
using LibGit2Sharp;
using Shadow.Grains.Sidecar;
using Shadow.Sidecar.Contracts.Git;
using Shadow.Sidecar.Contracts.Watch;
using Shadow.Testing;
using Shouldly;

namespace Shadow.Grains.Tests.Sidecar;

public sealed class SidecarClientGitWatchTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static SidecarClient CreateClient(SidecarProcess sidecar, HttpClient http) =>
        new(http, new SidecarEndpoint(sidecar.BaseAddress, sidecar.Token), SidecarResilience.Create(new SidecarClientOptions(), TimeProvider.System));

    [Fact]
    public async Task GitMethods_CloneCommitPush_RoundTrip()
    {
        using var dir = new TempDirectory("shadow-client-git");
        var remote = GitRepos.CreateBareRemote(dir.Combine("remote.git"), new Dictionary<string, string> { ["a.txt"] = "a\n" });
        var workspace = dir.CreateSubdirectory("ws");
        await using var sidecar = await SidecarProcess.StartAsync(workspace, dir.Combine("state"), null, Ct);
        using var http = new HttpClient();
        var client = CreateClient(sidecar, http);

        // Act
        var clone = await client.GitCloneAsync(new GitCloneRequest("file://" + remote), Ct);
        await client.GitConfigAsync(new GitConfigRequest("Client", "client@shadow.dev"), Ct);
        await client.GitCreateBranchAsync(new GitBranchRequest("work", Checkout: true), Ct);
        File.WriteAllText(Path.Combine(workspace, "b.txt"), "b\n");
        var status = await client.GitStatusAsync(Ct);
        var diff = await client.GitDiffAsync(baseBranch: "main", cancellationToken: Ct);
        var commit = await client.GitCommitAsync(new GitCommitRequest("add b"), Ct);
        var push = await client.GitPushAsync(new GitPushRequest(), Ct);
        var log = await client.GitLogAsync(limit: 1, cancellationToken: Ct);
        var head = await client.GitHeadAsync(Ct);
        var changed = await client.GitChangedFilesAsync("main", Ct);
        await client.GitCheckoutAsync(new GitCheckoutRequest("main"), Ct);
        var conflict = await Should.ThrowAsync<SidecarProblemException>(() => client.GitCommitAsync(new GitCommitRequest("nothing"), Ct));

        // Assert
        clone.Branch.ShouldBe("main");
        status.Files.ShouldContain(f => f.Path == "b.txt" && f.State == GitFileState.Untracked);
        diff.Patch.ShouldContain("+b");
        log.Commits.ShouldHaveSingleItem().Sha.ShouldBe(commit.Sha);
        head.ShouldBe(new GitHeadResponse("work", commit.Sha, false));
        push.Sha.ShouldBe(commit.Sha);
        changed.Files.ShouldHaveSingleItem().Path.ShouldBe("b.txt");
        conflict.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        using var bare = new Repository(remote);
        bare.Branches["work"].Tip.Sha.ShouldBe(commit.Sha);
    }

    [Fact]
    public async Task WatchMethods_StreamWithLastEventId_ReplaysAndFollows()
    {
        using var dir = new TempDirectory("shadow-client-watch");
        var workspace = dir.CreateSubdirectory("ws");
        await using var sidecar = await SidecarProcess.StartAsync(workspace, dir.Combine("state"), null, Ct, "--Sidecar:Watch:DebounceMilliseconds=100");
        using var http = new HttpClient();
        var client = CreateClient(sidecar, http);
        File.WriteAllText(Path.Combine(workspace, "first.txt"), "1");
        var deadline = DateTime.UtcNow.AddSeconds(10);
        WatchEventsResponse events;
        while (!(events = await client.WatchEventsAsync(0, cancellationToken: Ct)).Events.Any(e => e.Path == "first.txt"))
        {
            DateTime.UtcNow.ShouldBeLessThan(deadline, "waiting for the event of first.txt");
            await Task.Delay(25, Ct);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(15));

        // Act
        var seen = new List<WatchEvent>();
        await foreach (var item in client.WatchStreamAsync(lastEventId: 0, timeout.Token))
        {
            seen.Add(item);
            if (item.Path == "first.txt")
            {
                File.WriteAllText(Path.Combine(workspace, "second.txt"), "2");
            }

            if (item.Path == "second.txt")
            {
                break;
            }
        }

        var paused = await client.WatchPauseAsync(Ct);
        var resumed = await client.WatchResumeAsync(Ct);
        var status = await client.WatchStatusAsync(Ct);

        // Assert
        seen.Where(e => e.Kind == WatchEventKind.Created).Select(e => e.Path).ShouldBe(["first.txt", "second.txt"]);
        paused.Paused.ShouldBeTrue();
        resumed.Paused.ShouldBeFalse();
        status.LastSeq.ShouldBeGreaterThanOrEqualTo(seen[^1].Seq);
    }
}
