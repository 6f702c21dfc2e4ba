using System.Net;
using System.Text;
using Shadow.Sidecar.Contracts;
using Shadow.Sidecar.Contracts.Files;
using Shadow.Sidecar.Contracts.Search;
using Shouldly;
using static Shadow.Sidecar.Tests.Files.SidecarHttp;

namespace Shadow.Sidecar.Tests.Files;

public sealed class FilesLimitsTests(LimitedSidecarFixture fixture) : IClassFixture<LimitedSidecarFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private HttpClient Http => fixture.Http;

    private (string Rel, string Abs) NewDir()
    {
        var rel = "t-" + Guid.NewGuid().ToString("N")[..10];
        return (rel, Directory.CreateDirectory(Path.Combine(fixture.Workspace, rel)).FullName);
    }

    /// <summary>100 lines of 20 bytes: 2,000 bytes, above the 1,024-byte cap.</summary>
    private static string BigText() =>
        string.Concat(Enumerable.Range(0, 100).Select(i => $"line {i:000} ..........\n"));

    [Fact]
    public async Task Read_FileAboveCap_Answers413WithSizeAndCap()
    {
        var (rel, abs) = NewDir();
        await File.WriteAllTextAsync(Path.Combine(abs, "big.txt"), BigText(), Ct);

        // Act
        var problem = await Http.GetProblemAsync($"{SidecarRoutes.Files.Read}?path={Q(rel + "/big.txt")}", HttpStatusCode.RequestEntityTooLarge);

        // Assert
        problem.Detail.ShouldContain("2000");
        problem.Detail.ShouldContain(LimitedSidecarFixture.MaxReadBytes.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Read_RangeOfBigFileWithinCap_ReturnsThoseLines()
    {
        var (rel, abs) = NewDir();
        var text = BigText();
        await File.WriteAllTextAsync(Path.Combine(abs, "big.txt"), text, Ct);

        // Act
        var read = await Http.GetOkAsync<ReadFileResponse>($"{SidecarRoutes.Files.Read}?path={Q(rel + "/big.txt")}&offset=10&limit=5");
        var tail = await Http.GetOkAsync<ReadFileResponse>($"{SidecarRoutes.Files.Read}?path={Q(rel + "/big.txt")}&offset=98&limit=5");

        // Assert
        read.Content.ShouldBe(string.Concat(text.Split('\n').Skip(10).Take(5).Select(l => l + "\n")));
        read.Lines.ShouldBe(5);
        read.TotalLines.ShouldBe(100);
        read.Size.ShouldBe(2000);
        read.Truncated.ShouldBeTrue();
        tail.Lines.ShouldBe(2);
        tail.Truncated.ShouldBeFalse();
        tail.Content.ShouldBe("line 098 ..........\nline 099 ..........\n");
    }

    [Fact]
    public async Task Read_RangeOfBigFileAboveCap_Answers413()
    {
        var (rel, abs) = NewDir();
        await File.WriteAllTextAsync(Path.Combine(abs, "big.txt"), BigText(), Ct);

        var problem = await Http.GetProblemAsync($"{SidecarRoutes.Files.Read}?path={Q(rel + "/big.txt")}&offset=0&limit=80", HttpStatusCode.RequestEntityTooLarge);

        problem.Detail.ShouldContain("1024");
    }

    [Fact]
    public async Task SearchReplace_FileAboveCap_Answers413AndLeavesFile()
    {
        var (rel, abs) = NewDir();
        await File.WriteAllTextAsync(Path.Combine(abs, "big.txt"), BigText(), Ct);

        await Http.PostProblemAsync(SidecarRoutes.Files.SearchReplace, new SearchReplaceRequest($"{rel}/big.txt", "line 050", "LINE"), HttpStatusCode.RequestEntityTooLarge);

        (await File.ReadAllTextAsync(Path.Combine(abs, "big.txt"), Ct)).ShouldBe(BigText());
    }

    [Fact]
    public async Task List_MoreEntriesThanCap_FlagsTruncatedAndStaysSorted()
    {
        var (rel, abs) = NewDir();
        foreach (var name in new[] { "e", "d", "c", "b", "a" })
        {
            await File.WriteAllTextAsync(Path.Combine(abs, name), name, Ct);
        }

        // Act
        var list = await Http.GetOkAsync<ListFilesResponse>($"{SidecarRoutes.Files.List}?path={Q(rel)}");

        // Assert
        list.Truncated.ShouldBeTrue();
        list.Entries.Count.ShouldBe(LimitedSidecarFixture.MaxListEntries);
        list.Entries.Select(e => e.Name).ShouldBe(list.Entries.Select(e => e.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task ListRecursive_MaxEntriesAboveHardMax_IsClamped()
    {
        var (rel, abs) = NewDir();
        for (var i = 0; i < 8; i++)
        {
            await File.WriteAllTextAsync(Path.Combine(abs, $"f{i}"), "x", Ct);
        }

        var list = await Http.GetOkAsync<ListRecursiveResponse>($"{SidecarRoutes.Files.ListRecursive}?path={Q(rel)}&maxEntries=1000");

        list.Entries.Count.ShouldBe(LimitedSidecarFixture.ListRecursiveMaxEntries);
        list.Truncated.ShouldBeTrue();
    }

    [Fact]
    public async Task Grep_CatastrophicPattern_ReportsTimeoutPerFileNot500()
    {
        var (rel, abs) = NewDir();
        await File.WriteAllTextAsync(Path.Combine(abs, "evil.txt"), new string('a', 64) + "!\n", Ct);
        await File.WriteAllTextAsync(Path.Combine(abs, "fine.txt"), "aaa\n", Ct);

        // Act
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var grep = await Http.PostOkAsync<GrepResponse>(SidecarRoutes.Search.Grep, new GrepRequest("^(a|aa)+$", rel));
        sw.Stop();

        // Assert
        grep.Matches.ShouldContain(m => m.Path == $"{rel}/fine.txt" && m.Line == 1);
        var skipped = grep.Skipped.ShouldHaveSingleItem();
        skipped.Path.ShouldBe($"{rel}/evil.txt");
        skipped.Reason.ShouldContain("timed out");
        sw.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task Grep_FileAboveSizeCap_IsSkippedWithReason()
    {
        var (rel, abs) = NewDir();
        await File.WriteAllTextAsync(Path.Combine(abs, "huge.txt"), new StringBuilder().Append('x', 5000).Append("\nneedle\n").ToString(), Ct);
        await File.WriteAllTextAsync(Path.Combine(abs, "small.txt"), "needle\n", Ct);

        var grep = await Http.PostOkAsync<GrepResponse>(SidecarRoutes.Search.Grep, new GrepRequest("needle", rel));

        grep.Matches.Select(m => m.Path).ShouldBe([$"{rel}/small.txt"]);
        grep.Skipped.ShouldHaveSingleItem().Reason.ShouldContain("MaxGrepFileBytes");
    }
}
