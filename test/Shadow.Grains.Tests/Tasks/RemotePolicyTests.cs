using Shadow.Grains.Abstractions.Errors;
using Shadow.Grains.Tasks;
using Shadow.Testing;
using Shouldly;

namespace Shadow.Grains.Tests.Tasks;

public sealed class RemotePolicyTests
{
    [Theory]
    [InlineData("https://github.com/octocat/Hello-World.git")]
    [InlineData("git@github.com:octocat/Hello-World.git")]
    [InlineData("ssh://git@example.com/repo.git")]
    public void Check_NetworkRemote_Passes(string url)
    {
        using var data = new TempDirectory();
        Should.NotThrow(() => RemotePolicy.Check(url, data.Path, allowLocalRemotes: false));
    }

    [Fact]
    public void Check_LocalRemoteOutsideTheDataFolder_PassesOnlyWhenAllowed()
    {
        using var root = new TempDirectory();
        var repo = root.CreateSubdirectory("repo.git");
        var data = root.Combine("data");

        Should.NotThrow(() => RemotePolicy.Check(repo, data, allowLocalRemotes: true));
        Should.NotThrow(() => RemotePolicy.Check(new Uri(repo).AbsoluteUri, data, allowLocalRemotes: true));
        Should.Throw<InvalidTaskRequestException>(() => RemotePolicy.Check(repo, data, allowLocalRemotes: false))
            .Message.ShouldContain("Shadow:Git:AllowLocalRemotes");
    }

    [Fact]
    public void Check_PathIntoTheDataFolder_IsRefusedHoweverItIsWritten()
    {
        using var root = new TempDirectory();
        var data = root.CreateSubdirectory("data");
        var workspace = Directory.CreateDirectory(Path.Combine(data, "workspaces", "abc")).FullName;
        var link = root.Combine("innocent");
        Directory.CreateSymbolicLink(link, workspace);

        foreach (var url in new[] { workspace, data, new Uri(workspace).AbsoluteUri, root.Combine("repo", "..", "data", "workspaces", "abc"), link, Path.Combine(link, "sub") })
        {
            var error = Should.Throw<InvalidTaskRequestException>(() => RemotePolicy.Check(url, data, allowLocalRemotes: true), url);
            error.Field.ShouldBe("repoUrl");
            error.Message.ShouldContain("data folder");
        }
    }

    [Fact]
    public void Check_SiblingWithTheDataFolderAsPrefix_Passes()
    {
        using var root = new TempDirectory();
        var data = root.CreateSubdirectory("data");
        var sibling = root.CreateSubdirectory("data-other");

        Should.NotThrow(() => RemotePolicy.Check(sibling, data, allowLocalRemotes: true));
    }
}
