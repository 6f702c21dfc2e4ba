using System.Net;
using Shadow.Grains.Sidecar;
using Shadow.Sidecar.Contracts.Files;
using Shadow.Sidecar.Contracts.Search;
using Shadow.Testing;
using Shouldly;

namespace Shadow.Grains.Tests.Sidecar;

/// <summary>The typed files and search methods of <see cref="SidecarClient"/> against a real sidecar process.</summary>
public sealed class SidecarClientFilesSearchTests : IAsyncLifetime
{
    private readonly TempDirectory _root = new("shadow-client-files");
    private SidecarProcess _sidecar = null!;
    private HttpClient _http = null!;
    private SidecarClient _client = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _sidecar = await SidecarProcess.StartAsync(_root.CreateSubdirectory("ws"), _root.Combine("state"));
        _http = new HttpClient();
        _client = new SidecarClient(_http, new SidecarEndpoint(_sidecar.BaseAddress, _sidecar.Token),
            SidecarResilience.Create(new SidecarClientOptions(), TimeProvider.System));
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _sidecar.DisposeAsync();
        _root.Dispose();
    }

    [Fact]
    public async Task FileMethods_RoundTrip_AgainstRealSidecar()
    {
        // Act
        var written = await _client.WriteFileAsync("src/app/Program.cs", "line 0\nline 1\nline 2\n", cancellationToken: Ct);
        var read = await _client.ReadFileAsync("src/app/Program.cs", offset: 1, limit: 1, Ct);
        var stats = await _client.GetFileStatsAsync("src/app/Program.cs", Ct);
        var list = await _client.ListFilesAsync("src/app", Ct);
        var root = await _client.ListFilesAsync(cancellationToken: Ct);
        var tree = await _client.ListFilesRecursiveAsync(maxEntries: 100, cancellationToken: Ct);
        var replaced = await _client.SearchReplaceAsync("src/app/Program.cs", "line 1", "LINE ONE", Ct);
        var after = await _client.ReadFileAsync("src/app/Program.cs", cancellationToken: Ct);
        var deleted = await _client.DeleteFileAsync("src", recursive: true, Ct);

        // Assert
        written.BytesWritten.ShouldBe(21);
        read.Content.ShouldBe("line 1\n");
        read.TotalLines.ShouldBe(3);
        stats.Type.ShouldBe(FileEntryType.File);
        stats.Size.ShouldBe(21);
        list.Entries.ShouldHaveSingleItem().Name.ShouldBe("Program.cs");
        root.Entries.ShouldHaveSingleItem().Path.ShouldBe("src");
        tree.Entries.Select(e => e.Path).ShouldBe(["src", "src/app", "src/app/Program.cs"]);
        replaced.Line.ShouldBe(2);
        after.Content.ShouldBe("line 0\nLINE ONE\nline 2\n");
        deleted.Type.ShouldBe(FileEntryType.Directory);
        Directory.Exists(Path.Combine(_sidecar.Workspace, "src")).ShouldBeFalse();
    }

    [Fact]
    public async Task SearchReplace_TwoMatches_ThrowsProblemWithCountAndIsNotRetried()
    {
        await _client.WriteFileAsync("dup.txt", "same same", cancellationToken: Ct);

        // Act
        var e = await Should.ThrowAsync<SidecarProblemException>(() => _client.SearchReplaceAsync("dup.txt", "same", "other", Ct));

        // Assert
        e.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        e.Problem.Detail.ShouldNotBeNull().ShouldStartWith("found 2 occurrences");
    }

    [Fact]
    public async Task DeleteFile_Missing_ThrowsNotFound()
    {
        var e = await Should.ThrowAsync<SidecarProblemException>(() => _client.DeleteFileAsync("never-there.txt", cancellationToken: Ct));

        e.StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task SearchMethods_FindFilesAndLines()
    {
        await _client.WriteFileAsync("lib/StringHelpers.cs", "public static class StringHelpers\n{\n    // TODO: trim\n}\n", cancellationToken: Ct);
        await _client.WriteFileAsync("lib/Other.txt", "TODO later\n", cancellationToken: Ct);

        // Act
        var files = await _client.SearchFilesAsync("strhelp", cancellationToken: Ct);
        var grep = await _client.GrepAsync(new GrepRequest("TODO", "lib", Include: ["*.cs"]), Ct);

        // Assert
        files.Matches[0].Path.ShouldBe("lib/StringHelpers.cs");
        grep.Matches.ShouldHaveSingleItem().ShouldBe(new GrepMatch("lib/StringHelpers.cs", 3, 8, "    // TODO: trim"));
    }

    [Fact]
    public async Task Grep_InvalidRegex_ThrowsBadRequestWithParserMessage()
    {
        var e = await Should.ThrowAsync<SidecarProblemException>(() => _client.GrepAsync(new GrepRequest("(oops"), Ct));

        e.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        e.Problem.Detail.ShouldNotBeNull().ShouldContain("(oops");
    }
}
