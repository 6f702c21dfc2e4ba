using LibGit2Sharp;
using Shadow.Grains.Abstractions.Tasks;
using Shadow.Grains.Abstractions.Workspaces;
using Shadow.Grains.Workspaces;
using Shadow.Sidecar.Contracts.Files;
using Shadow.Sidecar.Contracts.Git;
using Shouldly;

namespace Shadow.Grains.Tests.Workspaces;

public sealed class TurnCommitTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task CommitTurn_WithChanges_CommitsAndPushesTheShadowBranch_AndACleanTreeMakesNoCommit()
    {
        await using var shadow = await ShadowCluster.StartAsync();
        var remote = shadow.CreateRemote("repo", new Dictionary<string, string> { ["a.txt"] = "alpha\n", ["b.txt"] = "beta\n" });
        (await shadow.CreateAndWaitAsync("tc1", remote, "main")).Status.ShouldBe(ShadowTaskStatus.Idle);
        var workspace = shadow.Client.GetGrain<IWorkspaceGrain>("tc1");
        var lifecycle = shadow.Client.GetGrain<IWorkspaceLifecycleGrain>("tc1");

        // Nothing changed yet: no commit.
        (await lifecycle.CommitTurnAsync("nothing", Ct)).ShouldBeNull();

        await workspace.WriteFileAsync(new WriteFileRequest("a.txt", "alpha two\n"), Ct);
        await workspace.WriteFileAsync(new WriteFileRequest("new/c.txt", "gamma\n"), Ct);
        await workspace.DeleteFileAsync(new DeleteFileRequest("b.txt"), Ct);

        // Act: no message from the model, so the summary is used.
        var commit = (await lifecycle.CommitTurnAsync(null, Ct)).ShouldNotBeNull();

        // Assert
        commit.FilesChanged.ShouldBe(3);
        commit.Message.ShouldStartWith("Shadow: add 1, delete 1, update 1 files");
        commit.Message.ShouldContain("- add new/c.txt");
        commit.Message.ShouldContain("- delete b.txt");
        commit.Message.ShouldContain("- update a.txt");
        using (var bare = new Repository(remote))
        {
            var tip = bare.Branches["shadow/task-tc1"].Tip;
            tip.Sha.ShouldBe(commit.Sha);
            tip.Message.TrimEnd().ShouldBe(commit.Message.TrimEnd());
            bare.Branches["main"].Tip.Sha.ShouldNotBe(commit.Sha);
        }

        (await lifecycle.CommitTurnAsync("again", Ct)).ShouldBeNull();
        await workspace.WriteFileAsync(new WriteFileRequest("a.txt", "alpha three\n"), Ct);
        var second = (await lifecycle.CommitTurnAsync("Model-written message\n\nwith a body", Ct)).ShouldNotBeNull();
        second.Message.ShouldBe("Model-written message\n\nwith a body");
        using var again = new Repository(remote);
        again.Branches["shadow/task-tc1"].Tip.Sha.ShouldBe(second.Sha);
        again.Branches["shadow/task-tc1"].Tip.Parents.Single().Sha.ShouldBe(commit.Sha);
    }

    [Fact]
    public void Summarize_OneFile_NamesIt_ManyFiles_ListsTwentyAndCountsTheRest()
    {
        var one = new GitStatusResponse("b", "c", false, null, null, null, false, [new GitStatusEntry("src/x.cs", GitFileState.Modified, null, false)]);
        CommitMessages.Summarize(one).ShouldStartWith("Shadow: update src/x.cs\n\n- update src/x.cs");

        var many = new GitStatusResponse("b", "c", false, null, null, null, false,
            [.. Enumerable.Range(0, 25).Select(i => new GitStatusEntry($"f{i:00}.txt", GitFileState.Untracked, null, false))]);
        var text = CommitMessages.Summarize(many);
        text.ShouldStartWith("Shadow: add 25 files");
        text.Split('\n').Count(l => l.StartsWith("- add ", StringComparison.Ordinal)).ShouldBe(20);
        text.ShouldEndWith("- and 5 more");
    }
}
