using System.Net;
using System.Text;
using System.Text.Json;
using Shadow.Sidecar.Contracts;
using Shadow.Sidecar.Contracts.Common;
using Shadow.Testing;
using Shouldly;

namespace Shadow.Sidecar.Tests.Security;

/// <summary>
/// The containment corpus run against every path-taking endpoint of a real sidecar: each escape answers 400
/// problem+json, and nothing outside the workspace is read, written, listed or deleted.
/// </summary>
public sealed class ContainmentTests(ContainmentTests.Fixture fixture) : IClassFixture<ContainmentTests.Fixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Corpus entries: a name, the value as it goes into a query string (already encoded), and as a JSON string literal.</summary>
    public static TheoryData<string> Corpus => [.. CorpusEntries.Keys];

    private static readonly Dictionary<string, (string Query, string Json)> CorpusEntries = new()
    {
        ["traversal"] = (Uri.EscapeDataString("../outside/secret.txt"), "\"../outside/secret.txt\""),
        ["nested traversal"] = (Uri.EscapeDataString("src/../../outside/secret.txt"), "\"src/../../outside/secret.txt\""),
        ["encoded traversal"] = ("%2e%2e%2foutside%2fsecret.txt", "\"\\u002e\\u002e/outside/secret.txt\""),
        ["backslash traversal"] = (Uri.EscapeDataString("..\\outside\\secret.txt"), "\"..\\\\outside\\\\secret.txt\""),
        ["absolute"] = (Uri.EscapeDataString("/etc/passwd"), "\"/etc/passwd\""),
        ["home"] = (Uri.EscapeDataString("~/x"), "\"~/x\""),
        ["symlink to outside file"] = ("link-file", "\"link-file\""),
        ["symlink to outside dir"] = ("link-dir", "\"link-dir\""),
        ["through symlink to outside dir"] = (Uri.EscapeDataString("link-dir/secret.txt"), "\"link-dir/secret.txt\""),
        ["dangling symlink to outside"] = ("dangling", "\"dangling\""),
        ["symlink loop"] = (Uri.EscapeDataString("loop-a/x"), "\"loop-a/x\""),
        ["NUL byte"] = ("ok%00.txt", "\"ok\\u0000.txt\""),
        ["very long"] = (Uri.EscapeDataString(string.Concat(Enumerable.Repeat("abcdefgh/", 600))), "\"" + string.Concat(Enumerable.Repeat("abcdefgh/", 600)) + "\""),
    };

    [Theory]
    [MemberData(nameof(Corpus))]
    public async Task EveryPathEndpoint_EscapingPath_Answers400AndTouchesNothingOutside(string name)
    {
        // Arrange
        var (query, json) = CorpusEntries[name];
        var before = fixture.SnapshotOutside();
        var failures = new List<string>();

        // Act
        foreach (var route in new[] { SidecarRoutes.Files.Read, SidecarRoutes.Files.Stats, SidecarRoutes.Files.List, SidecarRoutes.Files.ListRecursive })
        {
            using var response = await fixture.Http.GetAsync($"{route}?path={query}", Ct);
            await CheckAsync(response, $"GET {route}", failures);
        }

        var bodies = new (string Route, string Body)[]
        {
            (SidecarRoutes.Files.Write, $$"""{"path":{{json}},"content":"pwned"}"""),
            (SidecarRoutes.Files.Delete, $$"""{"path":{{json}},"recursive":true}"""),
            (SidecarRoutes.Files.SearchReplace, $$"""{"path":{{json}},"oldString":"secret","newString":"pwned"}"""),
            (SidecarRoutes.Search.Grep, $$"""{"pattern":"secret","path":{{json}}}"""),
            (SidecarRoutes.Exec.Run, $$"""{"command":"echo pwned > pwned.txt; cat secret.txt","cwd":{{json}}}"""),
            (SidecarRoutes.Exec.Stream, $$"""{"command":"echo pwned > pwned.txt","cwd":{{json}}}"""),
            (SidecarRoutes.Exec.Background, $$"""{"command":"echo pwned > pwned.txt","cwd":{{json}}}"""),
        };
        foreach (var (route, body) in bodies)
        {
            using var content = new StringContent(body, Encoding.UTF8, "application/json");
            using var response = await fixture.Http.PostAsync(route, content, Ct);
            await CheckAsync(response, $"POST {route}", failures);
        }

        // Assert
        failures.ShouldBeEmpty();
        fixture.SnapshotOutside().ShouldBe(before, "nothing outside the workspace may change");
        File.Exists("/etc/passwd").ShouldBeTrue();
    }

    [Fact]
    public async Task SymlinkInsideWorkspace_PointingInside_IsServed()
    {
        using var response = await fixture.Http.GetAsync($"{SidecarRoutes.Files.Read}?path=link-inside", Ct);

        var text = await response.Content.ReadAsStringAsync(Ct);
        response.StatusCode.ShouldBe(HttpStatusCode.OK, text);
        text.ShouldContain("inside content");
    }

    private static async Task CheckAsync(HttpResponseMessage response, string what, List<string> failures)
    {
        var text = await response.Content.ReadAsStringAsync(Ct);
        if (response.StatusCode != HttpStatusCode.BadRequest)
        {
            failures.Add($"{what} answered {(int)response.StatusCode}: {text[..Math.Min(text.Length, 300)]}");
            return;
        }

        if (response.Content.Headers.ContentType?.MediaType != "application/problem+json")
        {
            failures.Add($"{what} answered 400 without problem+json");
            return;
        }

        var problem = JsonSerializer.Deserialize(text, Contracts.Common.CommonJsonContext.Default.ProblemResponse);
        if (string.IsNullOrWhiteSpace(problem?.Detail))
        {
            failures.Add($"{what} answered 400 without a detail");
        }
    }

    /// <summary>A workspace beside an "outside" folder holding a secret, with links planted inside the workspace.</summary>
    public sealed class Fixture : SidecarFixture
    {
        public string Outside { get; private set; } = string.Empty;

        protected override void Prepare(TempDirectory root, string workspace)
        {
            Outside = root.CreateSubdirectory("outside");
            File.WriteAllText(Path.Combine(Outside, "secret.txt"), "secret content\n");
            Directory.CreateDirectory(Path.Combine(workspace, "src"));
            File.WriteAllText(Path.Combine(workspace, "inside.txt"), "inside content\n");
            File.CreateSymbolicLink(Path.Combine(workspace, "link-file"), Path.Combine(Outside, "secret.txt"));
            Directory.CreateSymbolicLink(Path.Combine(workspace, "link-dir"), Outside);
            File.CreateSymbolicLink(Path.Combine(workspace, "dangling"), Path.Combine(Outside, "created-through-link.txt"));
            File.CreateSymbolicLink(Path.Combine(workspace, "loop-a"), "loop-b");
            File.CreateSymbolicLink(Path.Combine(workspace, "loop-b"), "loop-a");
            File.CreateSymbolicLink(Path.Combine(workspace, "link-inside"), "inside.txt");
        }

        /// <summary>Every file outside the workspace with its content.</summary>
        public string SnapshotOutside() => string.Join('\n', Directory
            .EnumerateFiles(Outside, "*", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal)
            .Select(f => $"{f}={File.ReadAllText(f)}"));
    }
}
