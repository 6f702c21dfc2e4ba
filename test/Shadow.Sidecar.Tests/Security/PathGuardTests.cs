using Shadow.Sidecar.Hosting;
using Shadow.Sidecar.Security;
using Shadow.Testing;
using Shouldly;

namespace Shadow.Sidecar.Tests.Security;

/// <summary>The containment corpus against <see cref="PathGuard"/> itself, on a real folder with real links.</summary>
public sealed class PathGuardTests : IDisposable
{
    private readonly TempDirectory _dir = new("shadow-guard");
    private readonly string _workspace;
    private readonly string _outside;
    private readonly PathGuard _guard;

    public PathGuardTests()
    {
        _workspace = _dir.CreateSubdirectory("ws");
        _outside = _dir.CreateSubdirectory("outside");
        File.WriteAllText(Path.Combine(_outside, "secret.txt"), "secret");
        Directory.CreateDirectory(Path.Combine(_workspace, "a", "b"));
        Directory.CreateDirectory(Path.Combine(_workspace, "inner"));
        File.WriteAllText(Path.Combine(_workspace, "inner", "file.txt"), "x");
        _guard = new PathGuard(_workspace);
    }

    public void Dispose() => _dir.Dispose();

    private string Link(string name, string target, bool directory = false)
    {
        var path = Path.Combine(_workspace, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        if (directory)
        {
            Directory.CreateSymbolicLink(path, target);
        }
        else
        {
            File.CreateSymbolicLink(path, target);
        }

        return path;
    }

    private void ShouldRefuse(string path, string? detail = null, bool allowRoot = true, bool followLeafLink = false)
    {
        var e = Should.Throw<SidecarException>(() => _guard.Resolve(path, allowRoot, followLeafLink: followLeafLink), $"'{path}' must be refused");
        e.StatusCode.ShouldBe(400);
        if (detail is not null)
        {
            e.Message.ShouldContain(detail);
        }
    }

    [Theory]
    [InlineData("../x")]
    [InlineData("..")]
    [InlineData("a/../../x")]
    [InlineData("a/b/../../../x")]
    [InlineData("./../ws-sibling")]
    [InlineData("..\\x")]
    [InlineData("a\\..\\..\\x")]
    public void Resolve_DotDotEscape_Refused(string path) => ShouldRefuse(path, "outside the workspace");

    [Theory]
    [InlineData("/etc/passwd")]
    [InlineData("/")]
    [InlineData("//etc/passwd")]
    [InlineData("\\etc\\passwd")]
    public void Resolve_AbsolutePath_Refused(string path) => ShouldRefuse(path, "absolute");

    [Theory]
    [InlineData("~/x")]
    [InlineData("~root/.ssh/id_rsa")]
    public void Resolve_HomeRelative_Refused(string path) => ShouldRefuse(path);

    [Theory]
    [InlineData("..%2fx")]
    [InlineData("%2e%2e/x")]
    public void Resolve_PercentSequences_AreLiteralNamesInside(string path)
    {
        // The guard sees decoded text; a literal "%2e%2e" is an odd but harmless file name inside the workspace.
        var resolved = _guard.Resolve(path);

        resolved.ShouldStartWith(_guard.Root + "/");
    }

    [Theory]
    [InlineData("../etc/passwd")]
    [InlineData("../../etc/passwd")]
    [InlineData("a/../../../etc/passwd")]
    public void Resolve_DecodedTraversal_Refused(string decoded) => ShouldRefuse(decoded, "outside the workspace");

    [Fact]
    public void Resolve_NulByte_Refused() => ShouldRefuse("a\0b", "NUL");

    [Fact]
    public void Resolve_VeryLongPath_Refused() => ShouldRefuse(string.Join('/', Enumerable.Repeat("abcd", 1000)), "characters long");

    [Fact]
    public void Resolve_LongComponentBelowLimit_RefusedOrResolvedButNever500()
    {
        var path = new string('a', 300) + "/x";

        // A 300-char name is longer than NAME_MAX; either refused cleanly or resolved inside, never an unhandled error.
        try
        {
            _guard.Resolve(path).ShouldStartWith(_guard.Root + "/");
        }
        catch (SidecarException e)
        {
            e.StatusCode.ShouldBe(400);
        }
    }

    [Fact]
    public void Resolve_LinkToOutsideFile_Refused()
    {
        Link("evil.txt", Path.Combine(_outside, "secret.txt"));

        ShouldRefuse("evil.txt", "symbolic link");
    }

    [Fact]
    public void Resolve_LinkToOutsideFolder_RefusedForItAndEverythingBelow()
    {
        Link("out", _outside, directory: true);

        ShouldRefuse("out");
        ShouldRefuse("out/secret.txt", "outside the workspace");
        ShouldRefuse("out/new/deeper.txt", "outside the workspace");
    }

    [Fact]
    public void Resolve_RelativeLinkClimbingOut_Refused()
    {
        Link("a/up", "../../outside", directory: true);

        ShouldRefuse("a/up/secret.txt");
    }

    [Fact]
    public void Resolve_SymlinkLoop_Refused()
    {
        Link("loop1", Path.Combine(_workspace, "loop2"));
        Link("loop2", Path.Combine(_workspace, "loop1"));

        ShouldRefuse("loop1", "loop");
        ShouldRefuse("loop1/x", "loop");
    }

    [Fact]
    public void Resolve_SelfLoop_Refused()
    {
        Link("self", "self");

        ShouldRefuse("self", "loop");
    }

    [Fact]
    public void Resolve_DanglingLinkPointingOutside_Refused()
    {
        Link("dangling", Path.Combine(_outside, "does-not-exist.txt"));

        ShouldRefuse("dangling", "symbolic link");
        ShouldRefuse("dangling", followLeafLink: true);
        ShouldRefuse("dangling/below");
    }

    [Fact]
    public void Resolve_DanglingLinkThroughLinkedFolderOutside_Refused()
    {
        // a -> d/new.txt (missing) and d -> outside: a write through 'a' would create outside/new.txt.
        Link("d", _outside, directory: true);
        Link("a-dangle", "d/new.txt");

        ShouldRefuse("a-dangle", followLeafLink: true);
        ShouldRefuse("a-dangle");
        File.Exists(Path.Combine(_outside, "new.txt")).ShouldBeFalse();
    }

    [Fact]
    public void Resolve_DanglingChainEndingOutside_Refused()
    {
        Link("c1", "c2");
        Link("c2", Path.Combine(_outside, "missing.txt"));

        ShouldRefuse("c1", followLeafLink: true);
    }

    [Fact]
    public void Resolve_LinkThroughParentSwap_Refused()
    {
        // inner2 -> ../outside via a chain of an in-workspace link.
        Link("hop", "a", directory: true);
        Link("a/b/back", "../../../outside", directory: true);

        ShouldRefuse("hop/b/back/secret.txt");
    }

    [Theory]
    [InlineData("a/../b", "b")]
    [InlineData("./inner/file.txt", "inner/file.txt")]
    [InlineData("inner//file.txt", "inner/file.txt")]
    [InlineData("new/deeper/still/file.txt", "new/deeper/still/file.txt")]
    [InlineData("a/b/", "a/b")]
    [InlineData("a\\b", "a/b")]
    [InlineData("%2e%2e", "%2e%2e")]
    [InlineData("...", "...")]
    [InlineData("a/..b", "a/..b")]
    public void Resolve_LegitimatePath_ResolvesInside(string path, string expectedRelative)
    {
        var resolved = _guard.Resolve(path);

        _guard.ToRelative(resolved).ShouldBe(expectedRelative);
        _guard.IsInside(resolved, allowRoot: false).ShouldBeTrue();
    }

    [Fact]
    public void Resolve_LinkPointingInside_ResolvesLinkOrTarget()
    {
        Link("to-inner", "inner", directory: true);
        Link("to-file", "inner/file.txt");
        Link("to-new", "inner/not-yet.txt");

        // Act + Assert
        _guard.ToRelative(_guard.Resolve("to-inner/file.txt")).ShouldBe("inner/file.txt");
        _guard.ToRelative(_guard.Resolve("to-file")).ShouldBe("to-file");
        _guard.ToRelative(_guard.Resolve("to-file", followLeafLink: true)).ShouldBe("inner/file.txt");
        _guard.ToRelative(_guard.Resolve("to-new", followLeafLink: true)).ShouldBe("inner/not-yet.txt");
    }

    [Theory]
    [InlineData("")]
    [InlineData(".")]
    [InlineData("./")]
    [InlineData("a/..")]
    public void Resolve_Root_OnlyWhenAllowed(string path)
    {
        _guard.Resolve(path, allowRoot: true).ShouldBe(_guard.Root);
        ShouldRefuse(path, allowRoot: false);
    }

    [Fact]
    public void Resolve_WorkspaceRootBehindLink_IsCanonical()
    {
        var linkToWorkspace = _dir.Combine("ws-link");
        Directory.CreateSymbolicLink(linkToWorkspace, _workspace);

        var guard = new PathGuard(linkToWorkspace);

        guard.Root.ShouldBe(new PathGuard(_workspace).Root);
        guard.ToRelative(guard.Resolve("inner/file.txt")).ShouldBe("inner/file.txt");
    }

    [Fact]
    public void Resolve_SiblingWithRootPrefix_Refused()
    {
        // "<root>-sibling" shares the root's text prefix but is outside.
        Directory.CreateDirectory(_workspace + "-sibling");
        Link("sib", _workspace + "-sibling", directory: true);

        ShouldRefuse("sib/x");
    }
}
