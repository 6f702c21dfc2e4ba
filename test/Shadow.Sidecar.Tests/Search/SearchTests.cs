using System.Net;
using System.Net.Http.Json;
using Shadow.Sidecar.Contracts;
using Shadow.Sidecar.Contracts.Search;
using Shouldly;
using Shadow.Sidecar.Tests.Files;
using static Shadow.Sidecar.Tests.Files.SidecarHttp;

namespace Shadow.Sidecar.Tests.Search;

public sealed class SearchTests(SidecarFixture fixture) : IClassFixture<SidecarFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private HttpClient Http => fixture.Http;

    private (string Rel, string Abs) NewDir()
    {
        var rel = "t-" + Guid.NewGuid().ToString("N")[..10];
        return (rel, Directory.CreateDirectory(Path.Combine(fixture.Workspace, rel)).FullName);
    }

    private static async Task WriteAsync(string root, string relative, string content)
    {
        var path = Path.Combine(root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllTextAsync(path, content, Ct);
    }

    // ---- fuzzy file search ----

    [Fact]
    public async Task SearchFiles_Query_RanksNameAndContiguousMatchesFirst()
    {
        var (rel, abs) = NewDir();
        var unique = rel[2..8];
        await WriteAsync(abs, $"src/{unique}Widget.cs", "");
        await WriteAsync(abs, $"{unique}widget/zz/other.cs", "");
        await WriteAsync(abs, $"deep/a/b/c/d/e/{unique}Widget.cs", "");
        await WriteAsync(abs, "unrelated.txt", "");

        // Act
        var result = await Http.GetOkAsync<FileSearchResponse>($"{SidecarRoutes.Search.Files}?query={Q(unique + "widget")}");

        // Assert
        result.Matches.Select(m => m.Path).ShouldBe(
        [
            $"{rel}/src/{unique}Widget.cs",
            $"{rel}/deep/a/b/c/d/e/{unique}Widget.cs",
            $"{rel}/{unique}widget/zz/other.cs",
        ]);
        result.Matches.Select(m => m.Score).ShouldBeInOrder(SortDirection.Descending);
        result.Truncated.ShouldBeFalse();
    }

    [Fact]
    public async Task SearchFiles_Subsequence_MatchesAcrossGaps()
    {
        var (rel, abs) = NewDir();
        await WriteAsync(abs, "FilesEndpointsQqz.cs", "");

        var result = await Http.GetOkAsync<FileSearchResponse>($"{SidecarRoutes.Search.Files}?query=fepqqz");

        result.Matches.ShouldContain(m => m.Path == $"{rel}/FilesEndpointsQqz.cs");
    }

    [Fact]
    public async Task SearchFiles_SkipsGitFolder()
    {
        var (rel, abs) = NewDir();
        await WriteAsync(abs, ".git/hooks/zyxqgitonly", "");
        await WriteAsync(abs, "zyxqvisible", "");

        var result = await Http.GetOkAsync<FileSearchResponse>($"{SidecarRoutes.Search.Files}?query=zyxq");

        result.Matches.Select(m => m.Path).ShouldBe([$"{rel}/zyxqvisible"]);
    }

    [Fact]
    public async Task SearchFiles_Limit_TruncatesToBest()
    {
        var (rel, abs) = NewDir();
        for (var i = 0; i < 6; i++)
        {
            await WriteAsync(abs, $"qwlim{i}.txt", "");
        }

        var result = await Http.GetOkAsync<FileSearchResponse>($"{SidecarRoutes.Search.Files}?query=qwlim&limit=4");

        result.Matches.Count.ShouldBe(4);
        result.Truncated.ShouldBeTrue();
        result.Matches.ShouldAllBe(m => m.Path.StartsWith(rel + "/qwlim", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("")]
    [InlineData("?query=")]
    [InlineData("?query=%20%20")]
    [InlineData("?query=a&limit=0")]
    [InlineData("?query=a&limit=many")]
    public async Task SearchFiles_BadQuery_Answers400(string query)
    {
        await Http.GetProblemAsync(SidecarRoutes.Search.Files + query, HttpStatusCode.BadRequest);
    }

    // ---- grep ----

    [Fact]
    public async Task Grep_Pattern_ReturnsPathLineColumnAndText()
    {
        var (rel, abs) = NewDir();
        await WriteAsync(abs, "b.cs", "class B {}\r\n  var needle = 1;\n");
        await WriteAsync(abs, "a/a.cs", "needle first\nnothing\nsecond needle needle\n");

        // Act
        var grep = await Http.PostOkAsync<GrepResponse>(SidecarRoutes.Search.Grep, new GrepRequest(@"needle\b", rel));

        // Assert
        grep.Matches.ShouldBe(
        [
            new GrepMatch($"{rel}/a/a.cs", 1, 1, "needle first"),
            new GrepMatch($"{rel}/a/a.cs", 3, 8, "second needle needle"),
            new GrepMatch($"{rel}/b.cs", 2, 7, "  var needle = 1;"),
        ]);
        grep.Truncated.ShouldBeFalse();
        grep.FilesSearched.ShouldBe(2);
        grep.Skipped.ShouldBeEmpty();
    }

    [Fact]
    public async Task Grep_CaseInsensitive_MatchesOtherCase()
    {
        var (rel, abs) = NewDir();
        await WriteAsync(abs, "c.txt", "Hello World\n");

        var sensitive = await Http.PostOkAsync<GrepResponse>(SidecarRoutes.Search.Grep, new GrepRequest("hello", rel));
        var insensitive = await Http.PostOkAsync<GrepResponse>(SidecarRoutes.Search.Grep, new GrepRequest("hello", rel, CaseSensitive: false));

        sensitive.Matches.ShouldBeEmpty();
        insensitive.Matches.ShouldHaveSingleItem().Text.ShouldBe("Hello World");
    }

    [Fact]
    public async Task Grep_IncludeAndExcludeGlobs_FilterFiles()
    {
        var (rel, abs) = NewDir();
        await WriteAsync(abs, "src/app.cs", "token\n");
        await WriteAsync(abs, "src/app.ts", "token\n");
        await WriteAsync(abs, "src/gen/skip.cs", "token\n");
        await WriteAsync(abs, "node_modules/lib/x.cs", "token\n");
        await WriteAsync(abs, "readme.md", "token\n");

        // Act
        var cs = await Http.PostOkAsync<GrepResponse>(SidecarRoutes.Search.Grep,
            new GrepRequest("token", rel, Include: ["*.cs"], Exclude: ["node_modules", $"{rel}/src/gen/**"]));
        var pathGlob = await Http.PostOkAsync<GrepResponse>(SidecarRoutes.Search.Grep,
            new GrepRequest("token", rel, Include: [$"{rel}/src/*.ts", "*.md"]));
        var excludeOnly = await Http.PostOkAsync<GrepResponse>(SidecarRoutes.Search.Grep,
            new GrepRequest("token", rel, Exclude: ["*.cs"]));

        // Assert
        cs.Matches.Select(m => m.Path).ShouldBe([$"{rel}/src/app.cs"]);
        pathGlob.Matches.Select(m => m.Path).ShouldBe([$"{rel}/readme.md", $"{rel}/src/app.ts"]);
        excludeOnly.Matches.Select(m => m.Path).ShouldBe([$"{rel}/readme.md", $"{rel}/src/app.ts"]);
    }

    [Fact]
    public async Task Grep_SkipsGitBinaryAndLinkedFiles()
    {
        var (rel, abs) = NewDir();
        await WriteAsync(abs, ".git/config", "secret-marker\n");
        await WriteAsync(abs, "text.txt", "secret-marker\n");
        await File.WriteAllBytesAsync(Path.Combine(abs, "blob.bin"), [.. "secret-marker"u8, 0, 1, 2], Ct);
        using var outside = new Shadow.Testing.TempDirectory("shadow-outside");
        await File.WriteAllTextAsync(outside.Combine("o.txt"), "secret-marker\n", Ct);
        File.CreateSymbolicLink(Path.Combine(abs, "out.txt"), outside.Combine("o.txt"));
        Directory.CreateSymbolicLink(Path.Combine(abs, "outdir"), outside.Path);

        // Act
        var grep = await Http.PostOkAsync<GrepResponse>(SidecarRoutes.Search.Grep, new GrepRequest("secret-marker", rel));

        // Assert
        grep.Matches.Select(m => m.Path).ShouldBe([$"{rel}/text.txt"]);
    }

    [Fact]
    public async Task Grep_MaxResults_TruncatesInPathOrder()
    {
        var (rel, abs) = NewDir();
        await WriteAsync(abs, "a.txt", "hit\nhit\nhit\n");
        await WriteAsync(abs, "b.txt", "hit\nhit\n");

        var grep = await Http.PostOkAsync<GrepResponse>(SidecarRoutes.Search.Grep, new GrepRequest("hit", rel, MaxResults: 4));

        grep.Matches.Count.ShouldBe(4);
        grep.Truncated.ShouldBeTrue();
        grep.Matches.Select(m => (m.Path, m.Line)).ShouldBe([($"{rel}/a.txt", 1), ($"{rel}/a.txt", 2), ($"{rel}/a.txt", 3), ($"{rel}/b.txt", 1)]);
    }

    [Fact]
    public async Task Grep_LongLine_IsClippedAroundMatch()
    {
        var (rel, abs) = NewDir();
        await WriteAsync(abs, "long.txt", new string('x', 5000) + "FINDME" + new string('y', 5000) + "\n");

        var grep = await Http.PostOkAsync<GrepResponse>(SidecarRoutes.Search.Grep, new GrepRequest("FINDME", rel));

        var match = grep.Matches.ShouldHaveSingleItem();
        match.Column.ShouldBe(5001);
        match.Text.ShouldContain("FINDME");
        match.Text.Length.ShouldBeLessThan(500);
    }

    [Fact]
    public async Task Grep_PathIsFile_SearchesOnlyThatFile()
    {
        var (rel, abs) = NewDir();
        await WriteAsync(abs, "one.txt", "word\n");
        await WriteAsync(abs, "two.txt", "word\n");

        var grep = await Http.PostOkAsync<GrepResponse>(SidecarRoutes.Search.Grep, new GrepRequest("word", $"{rel}/two.txt"));

        grep.Matches.ShouldHaveSingleItem().Path.ShouldBe($"{rel}/two.txt");
    }

    [Theory]
    [InlineData("(unclosed")]
    [InlineData("[z-a]")]
    [InlineData("a{2,1}")]
    public async Task Grep_InvalidRegex_Answers400WithParserMessage(string pattern)
    {
        var problem = await Http.PostProblemAsync(SidecarRoutes.Search.Grep, new GrepRequest(pattern), HttpStatusCode.BadRequest);

        problem.Detail.ShouldContain("not a valid .NET regular expression");
        problem.Detail.ShouldContain(pattern);
    }

    [Theory]
    [InlineData("{}", "pattern")]
    [InlineData("{\"pattern\": 5}", "pattern")]
    [InlineData("{\"pattern\": \"\"}", "pattern")]
    [InlineData("{\"pattern\": \"a\", \"include\": \"*.cs\"}", "include")]
    [InlineData("{\"pattern\": \"a\", \"maxResults\": 0}", "maxResults")]
    [InlineData("{\"pattern\": \"a\", \"caseSensitive\": \"no\"}", "caseSensitive")]
    [InlineData("{\"pattern\": \"a\", \"include\": [\"../*.cs\"]}", "include")]
    [InlineData("{\"pattern\": \"a\", \"exclude\": [\"/etc/**\"]}", "exclude")]
    public async Task Grep_BadBody_Answers400(string body, string mentioned)
    {
        var problem = await Http.PostRawProblemAsync(SidecarRoutes.Search.Grep, body, HttpStatusCode.BadRequest);

        problem.Detail.ShouldContain(mentioned, Case.Insensitive);
    }

    [Fact]
    public async Task Grep_FolderHoldingFifo_DoesNotHang()
    {
        var (rel, abs) = NewDir();
        await WriteAsync(abs, "a.txt", "pipe-marker\n");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [Path.Combine(abs, "pipe")]))
        {
            await mkfifo.WaitForExitAsync(Ct);
            mkfifo.ExitCode.ShouldBe(0);
        }

        // Act
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cts.CancelAfter(TimeSpan.FromSeconds(15));
        using var response = await Http.PostAsJsonAsync(SidecarRoutes.Search.Grep, new GrepRequest("pipe-marker", rel), Shadow.Sidecar.Contracts.SidecarJson.Options, cts.Token);

        // Assert
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var grep = await response.Content.ReadFromJsonAsync<GrepResponse>(Shadow.Sidecar.Contracts.SidecarJson.Options, Ct);
        grep!.Matches.ShouldHaveSingleItem().Path.ShouldBe($"{rel}/a.txt");
    }

    [Fact]
    public async Task Grep_MissingPath_Answers404()
    {
        var (rel, _) = NewDir();

        await Http.PostProblemAsync(SidecarRoutes.Search.Grep, new GrepRequest("x", $"{rel}/none"), HttpStatusCode.NotFound);
    }
}
