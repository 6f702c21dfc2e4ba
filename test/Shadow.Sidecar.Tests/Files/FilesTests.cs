using System.Net;
using System.Text;
using Shadow.Sidecar.Contracts;
using Shadow.Sidecar.Contracts.Files;
using Shouldly;
using static Shadow.Sidecar.Tests.Files.SidecarHttp;

namespace Shadow.Sidecar.Tests.Files;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class FilesTests(SidecarFixture fixture) : IClassFixture<SidecarFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private HttpClient Http => fixture.Http;

    /// <summary>A fresh folder per test, so tests sharing the sidecar never see each other's files.</summary>
    private (string Rel, string Abs) NewDir()
    {
        var rel = "t-" + Guid.NewGuid().ToString("N")[..10];
        return (rel, Directory.CreateDirectory(Path.Combine(fixture.Workspace, rel)).FullName);
    }

    private static string Read(string rel, int? offset = null, int? limit = null) =>
        $"{SidecarRoutes.Files.Read}?path={Q(rel)}" + (offset is null ? "" : $"&offset={offset}") + (limit is null ? "" : $"&limit={limit}");

    // ---- read ----

    [Fact]
    public async Task Read_WholeFile_ReturnsContentLinesAndSize()
    {
        var (rel, abs) = NewDir();
        await File.WriteAllTextAsync(Path.Combine(abs, "a.txt"), "one\ntwo\nthree\n", Ct);

        // Act
        var read = await Http.GetOkAsync<ReadFileResponse>(Read($"{rel}/a.txt"));

        // Assert
        read.Content.ShouldBe("one\ntwo\nthree\n");
        read.Path.ShouldBe($"{rel}/a.txt");
        read.TotalLines.ShouldBe(3);
        read.Lines.ShouldBe(3);
        read.Offset.ShouldBe(0);
        read.Size.ShouldBe(14);
        read.Truncated.ShouldBeFalse();
    }

    [Theory]
    [InlineData(1, 2, "l1\r\nl2\n", 2, true)]
    [InlineData(0, 1, "l0\n", 1, true)]
    [InlineData(3, 10, "l3", 1, false)]
    [InlineData(4, 5, "", 0, false)]
    [InlineData(2, null, "l2\nl3", 2, false)]
    public async Task Read_OffsetAndLimit_ReturnsThatRange(int offset, int? limit, string expected, int lines, bool truncated)
    {
        var (rel, abs) = NewDir();
        await File.WriteAllTextAsync(Path.Combine(abs, "r.txt"), "l0\nl1\r\nl2\nl3", Ct);

        // Act
        var read = await Http.GetOkAsync<ReadFileResponse>(Read($"{rel}/r.txt", offset, limit));

        // Assert
        read.Content.ShouldBe(expected);
        read.Offset.ShouldBe(offset);
        read.Lines.ShouldBe(lines);
        read.TotalLines.ShouldBe(4);
        read.Truncated.ShouldBe(truncated);
    }

    [Fact]
    public async Task Read_Utf8AndEmptyFile_DecodesAndCountsZeroLines()
    {
        var (rel, abs) = NewDir();
        await File.WriteAllTextAsync(Path.Combine(abs, "u.txt"), "héllo ✓\n", Ct);
        await File.WriteAllTextAsync(Path.Combine(abs, "empty.txt"), "", Ct);

        // Act
        var utf8 = await Http.GetOkAsync<ReadFileResponse>(Read($"{rel}/u.txt"));
        var empty = await Http.GetOkAsync<ReadFileResponse>(Read($"{rel}/empty.txt"));

        // Assert
        utf8.Content.ShouldBe("héllo ✓\n");
        utf8.Size.ShouldBe(Encoding.UTF8.GetByteCount("héllo ✓\n"));
        empty.Content.ShouldBe("");
        empty.TotalLines.ShouldBe(0);
    }

    [Fact]
    public async Task Read_MissingFile_Answers404()
    {
        var (rel, _) = NewDir();

        var problem = await Http.GetProblemAsync(Read($"{rel}/nope.txt"), HttpStatusCode.NotFound);

        problem.Detail.ShouldContain("nope.txt");
    }

    [Fact]
    public async Task Read_Directory_Answers400SayingItIsAFolder()
    {
        var (rel, _) = NewDir();

        var problem = await Http.GetProblemAsync(Read(rel), HttpStatusCode.BadRequest);

        problem.Detail.ShouldContain("folder");
    }

    [Fact]
    public async Task Read_BinaryFile_Answers422()
    {
        var (rel, abs) = NewDir();
        await File.WriteAllBytesAsync(Path.Combine(abs, "b.bin"), [0x89, 0x50, 0x4E, 0x47, 0x00, 0x01, 0x02], Ct);

        var problem = await Http.GetProblemAsync(Read($"{rel}/b.bin"), HttpStatusCode.UnprocessableEntity);

        problem.Detail.ShouldContain("binary");
    }

    [Theory]
    [InlineData("")]
    [InlineData("?path=")]
    [InlineData("?path=x.txt&offset=-1")]
    [InlineData("?path=x.txt&limit=0")]
    [InlineData("?path=x.txt&offset=abc")]
    [InlineData("?path=x.txt&limit=1.5")]
    public async Task Read_BadQuery_Answers400(string query)
    {
        await File.WriteAllTextAsync(Path.Combine(fixture.Workspace, "x.txt"), "x", Ct);

        await Http.GetProblemAsync(SidecarRoutes.Files.Read + query, HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("?path=../../etc/passwd")]
    [InlineData("?path=%2e%2e%2f%2e%2e%2fetc%2fpasswd")]
    [InlineData("?path=..%2f..%2f..%2fetc%2fpasswd")]
    [InlineData("?path=%2fetc%2fpasswd")]
    [InlineData("?path=a%00b")]
    public async Task Read_TraversalInQuery_Answers400(string query)
    {
        // Act
        var problem = await Http.GetProblemAsync(SidecarRoutes.Files.Read + query, HttpStatusCode.BadRequest);

        // Assert
        problem.Detail.ShouldNotContain("root:");
    }

    // ---- write ----

    [Fact]
    public async Task Write_NewFileInNewFolders_CreatesItAndReportsBytes()
    {
        var (rel, abs) = NewDir();
        const string Content = "naïve\nline 2\n";

        // Act
        var written = await Http.PostOkAsync<WriteFileResponse>(SidecarRoutes.Files.Write, new WriteFileRequest($"{rel}/x/y/z.txt", Content));

        // Assert
        written.BytesWritten.ShouldBe(Encoding.UTF8.GetByteCount(Content));
        written.Created.ShouldBeTrue();
        written.Path.ShouldBe($"{rel}/x/y/z.txt");
        (await File.ReadAllTextAsync(Path.Combine(abs, "x", "y", "z.txt"), Ct)).ShouldBe(Content);
        (await File.ReadAllBytesAsync(Path.Combine(abs, "x", "y", "z.txt"), Ct))[0].ShouldBe((byte)'n', "no BOM");
    }

    [Fact]
    public async Task Write_ExistingFile_ReplacesContentAndKeepsMode()
    {
        var (rel, abs) = NewDir();
        var file = Path.Combine(abs, "run.sh");
        await File.WriteAllTextAsync(file, "old content that is longer than the new one\n", Ct);
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);

        // Act
        var written = await Http.PostOkAsync<WriteFileResponse>(SidecarRoutes.Files.Write, new WriteFileRequest($"{rel}/run.sh", "echo hi\n"));

        // Assert
        written.Created.ShouldBeFalse();
        (await File.ReadAllTextAsync(file, Ct)).ShouldBe("echo hi\n");
        File.GetUnixFileMode(file).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
    }

    [Fact]
    public async Task Write_ManyTimes_LeavesNoTempFilesBehind()
    {
        var (rel, abs) = NewDir();

        // Act
        for (var i = 0; i < 20; i++)
        {
            await Http.PostOkAsync<WriteFileResponse>(SidecarRoutes.Files.Write, new WriteFileRequest($"{rel}/f.txt", $"version {i}"));
        }

        await Http.PostProblemAsync(SidecarRoutes.Files.Write, new WriteFileRequest($"{rel}/f.txt/child", "x"), HttpStatusCode.Conflict);

        // Assert
        Directory.GetFileSystemEntries(abs).Select(Path.GetFileName).ShouldBe(["f.txt"]);
        (await File.ReadAllTextAsync(Path.Combine(abs, "f.txt"), Ct)).ShouldBe("version 19");
    }

    [Fact]
    public async Task Write_EmptyContent_CreatesEmptyFile()
    {
        var (rel, abs) = NewDir();

        var written = await Http.PostOkAsync<WriteFileResponse>(SidecarRoutes.Files.Write, new WriteFileRequest($"{rel}/empty", ""));

        written.BytesWritten.ShouldBe(0);
        new FileInfo(Path.Combine(abs, "empty")).Length.ShouldBe(0);
    }

    [Fact]
    public async Task Write_MissingParentWithoutCreateDirectories_Answers404()
    {
        var (rel, abs) = NewDir();

        var problem = await Http.PostProblemAsync(SidecarRoutes.Files.Write, new WriteFileRequest($"{rel}/no/such/f.txt", "x", false), HttpStatusCode.NotFound);

        problem.Detail.ShouldContain("createDirectories");
        Directory.Exists(Path.Combine(abs, "no")).ShouldBeFalse();
    }

    [Fact]
    public async Task Write_OverAFolder_Answers409()
    {
        var (rel, _) = NewDir();

        var problem = await Http.PostProblemAsync(SidecarRoutes.Files.Write, new WriteFileRequest(rel, "x"), HttpStatusCode.Conflict);

        problem.Detail.ShouldContain("folder");
    }

    [Fact]
    public async Task Write_ThroughLinkInsideWorkspace_WritesTargetAndKeepsLink()
    {
        var (rel, abs) = NewDir();
        await File.WriteAllTextAsync(Path.Combine(abs, "real.txt"), "old", Ct);
        File.CreateSymbolicLink(Path.Combine(abs, "link.txt"), "real.txt");

        // Act
        var written = await Http.PostOkAsync<WriteFileResponse>(SidecarRoutes.Files.Write, new WriteFileRequest($"{rel}/link.txt", "new"));

        // Assert
        written.Path.ShouldBe($"{rel}/real.txt");
        (await File.ReadAllTextAsync(Path.Combine(abs, "real.txt"), Ct)).ShouldBe("new");
        new FileInfo(Path.Combine(abs, "link.txt")).LinkTarget.ShouldBe("real.txt");
    }

    [Theory]
    [InlineData("{\"path\": \"a.txt\"}", "content")]
    [InlineData("{\"content\": \"x\"}", "path")]
    [InlineData("{\"path\": \"a.txt\", \"content\": 5}", "content")]
    [InlineData("{\"path\": 7, \"content\": \"x\"}", "path")]
    [InlineData("{\"path\": \"a.txt\", \"content\": \"x\", \"createDirectories\": \"yes\"}", "createDirectories")]
    [InlineData("{\"path\": \"a.txt\", \"content\": null}", "content")]
    [InlineData("{not json", "JSON")]
    [InlineData("", "")]
    public async Task Write_MalformedBody_Answers400(string body, string mentioned)
    {
        var problem = await Http.PostRawProblemAsync(SidecarRoutes.Files.Write, body, HttpStatusCode.BadRequest);

        problem.Detail.ShouldContain(mentioned, Case.Insensitive);
    }

    // ---- delete ----

    [Fact]
    public async Task Delete_File_RemovesIt()
    {
        var (rel, abs) = NewDir();
        await File.WriteAllTextAsync(Path.Combine(abs, "d.txt"), "x", Ct);

        var deleted = await Http.PostOkAsync<DeleteFileResponse>(SidecarRoutes.Files.Delete, new DeleteFileRequest($"{rel}/d.txt"));

        deleted.Type.ShouldBe(FileEntryType.File);
        File.Exists(Path.Combine(abs, "d.txt")).ShouldBeFalse();
    }

    [Fact]
    public async Task Delete_FolderWithContents_NeedsRecursive()
    {
        var (rel, abs) = NewDir();
        Directory.CreateDirectory(Path.Combine(abs, "f", "g"));
        await File.WriteAllTextAsync(Path.Combine(abs, "f", "g", "h.txt"), "x", Ct);

        // Act
        var refused = await Http.PostProblemAsync(SidecarRoutes.Files.Delete, new DeleteFileRequest($"{rel}/f"), HttpStatusCode.Conflict);
        var deleted = await Http.PostOkAsync<DeleteFileResponse>(SidecarRoutes.Files.Delete, new DeleteFileRequest($"{rel}/f", true));

        // Assert
        refused.Detail.ShouldContain("recursive");
        deleted.Type.ShouldBe(FileEntryType.Directory);
        Directory.Exists(Path.Combine(abs, "f")).ShouldBeFalse();
    }

    [Fact]
    public async Task Delete_RecursiveFolderHoldingLinkToOutside_LeavesOutsideAlone()
    {
        var (rel, abs) = NewDir();
        using var outside = new Shadow.Testing.TempDirectory("shadow-outside");
        await File.WriteAllTextAsync(outside.Combine("keep.txt"), "keep", Ct);
        Directory.CreateDirectory(Path.Combine(abs, "f"));
        Directory.CreateSymbolicLink(Path.Combine(abs, "f", "out"), outside.Path);

        // Act
        await Http.PostOkAsync<DeleteFileResponse>(SidecarRoutes.Files.Delete, new DeleteFileRequest($"{rel}/f", true));

        // Assert
        Directory.Exists(Path.Combine(abs, "f")).ShouldBeFalse();
        File.Exists(outside.Combine("keep.txt")).ShouldBeTrue();
    }

    [Fact]
    public async Task Delete_LinkInsideWorkspace_RemovesOnlyTheLink()
    {
        var (rel, abs) = NewDir();
        await File.WriteAllTextAsync(Path.Combine(abs, "t.txt"), "x", Ct);
        File.CreateSymbolicLink(Path.Combine(abs, "l"), "t.txt");

        var deleted = await Http.PostOkAsync<DeleteFileResponse>(SidecarRoutes.Files.Delete, new DeleteFileRequest($"{rel}/l"));

        deleted.Type.ShouldBe(FileEntryType.Symlink);
        File.Exists(Path.Combine(abs, "t.txt")).ShouldBeTrue();
        Path.Exists(Path.Combine(abs, "l")).ShouldBeFalse();
    }

    [Fact]
    public async Task Delete_Missing_Answers404()
    {
        var (rel, _) = NewDir();

        await Http.PostProblemAsync(SidecarRoutes.Files.Delete, new DeleteFileRequest($"{rel}/gone.txt"), HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData(".")]
    [InlineData("")]
    [InlineData("a/..")]
    [InlineData("./")]
    public async Task Delete_WorkspaceRoot_Answers400(string path)
    {
        var problem = await Http.PostProblemAsync(SidecarRoutes.Files.Delete, new DeleteFileRequest(path, true), HttpStatusCode.BadRequest);

        problem.Detail.ShouldContain("root");
        Directory.Exists(fixture.Workspace).ShouldBeTrue();
    }

    [Fact]
    public async Task Delete_WrongTypedRecursive_Answers400()
    {
        await Http.PostRawProblemAsync(SidecarRoutes.Files.Delete, "{\"path\":\"x\",\"recursive\":\"no\"}", HttpStatusCode.BadRequest);
    }

    // ---- stats ----

    [Fact]
    public async Task Stats_FileFolderAndLink_DescribeEach()
    {
        var (rel, abs) = NewDir();
        var file = Path.Combine(abs, "s.txt");
        await File.WriteAllTextAsync(file, "12345", Ct);
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        File.CreateSymbolicLink(Path.Combine(abs, "ln"), "s.txt");

        // Act
        var f = await Http.GetOkAsync<FileStatsResponse>($"{SidecarRoutes.Files.Stats}?path={Q(rel + "/s.txt")}");
        var d = await Http.GetOkAsync<FileStatsResponse>($"{SidecarRoutes.Files.Stats}?path={Q(rel)}");
        var l = await Http.GetOkAsync<FileStatsResponse>($"{SidecarRoutes.Files.Stats}?path={Q(rel + "/ln")}");
        var root = await Http.GetOkAsync<FileStatsResponse>(SidecarRoutes.Files.Stats);

        // Assert
        f.Type.ShouldBe(FileEntryType.File);
        f.Size.ShouldBe(5);
        f.Mode.ShouldBe("0640");
        f.ModifiedAt.ShouldBe(new DateTimeOffset(File.GetLastWriteTimeUtc(file)), TimeSpan.FromSeconds(1));
        d.Type.ShouldBe(FileEntryType.Directory);
        d.ModifiedAt.ShouldBeGreaterThan(DateTimeOffset.UnixEpoch.AddYears(30));
        l.Type.ShouldBe(FileEntryType.Symlink);
        l.LinkTarget.ShouldBe("s.txt");
        root.Type.ShouldBe(FileEntryType.Directory);
        root.Path.ShouldBe("");
    }

    [Fact]
    public async Task Stats_Missing_Answers404()
    {
        var (rel, _) = NewDir();

        await Http.GetProblemAsync($"{SidecarRoutes.Files.Stats}?path={Q(rel + "/missing")}", HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Stats_RawJsonUsesLowercaseType()
    {
        var (rel, _) = NewDir();

        var json = await Http.GetStringAsync($"{SidecarRoutes.Files.Stats}?path={Q(rel)}", Ct);

        json.ShouldContain("\"type\":\"directory\"");
    }

    // ---- list ----

    [Fact]
    public async Task List_Folder_ReturnsSortedEntriesWithTypesAndSizes()
    {
        var (rel, abs) = NewDir();
        await File.WriteAllTextAsync(Path.Combine(abs, "b.txt"), "bb", Ct);
        await File.WriteAllTextAsync(Path.Combine(abs, "a.txt"), "a", Ct);
        Directory.CreateDirectory(Path.Combine(abs, "c"));
        File.CreateSymbolicLink(Path.Combine(abs, "d"), "a.txt");

        // Act
        var list = await Http.GetOkAsync<ListFilesResponse>($"{SidecarRoutes.Files.List}?path={Q(rel)}");

        // Assert
        list.Path.ShouldBe(rel);
        list.Truncated.ShouldBeFalse();
        list.Entries.ShouldBe(
        [
            new FileEntry("a.txt", $"{rel}/a.txt", FileEntryType.File, 1),
            new FileEntry("b.txt", $"{rel}/b.txt", FileEntryType.File, 2),
            new FileEntry("c", $"{rel}/c", FileEntryType.Directory, 0),
            new FileEntry("d", $"{rel}/d", FileEntryType.Symlink, 0),
        ]);
    }

    [Fact]
    public async Task List_NoPath_ListsRoot()
    {
        var (rel, _) = NewDir();

        var list = await Http.GetOkAsync<ListFilesResponse>(SidecarRoutes.Files.List);

        list.Path.ShouldBe("");
        list.Entries.ShouldContain(e => e.Name == rel && e.Path == rel && e.Type == FileEntryType.Directory);
    }

    [Fact]
    public async Task List_FileOrMissing_Answers400Or404()
    {
        var (rel, abs) = NewDir();
        await File.WriteAllTextAsync(Path.Combine(abs, "f"), "x", Ct);

        // Act
        var file = await Http.GetProblemAsync($"{SidecarRoutes.Files.List}?path={Q(rel + "/f")}", HttpStatusCode.BadRequest);
        await Http.GetProblemAsync($"{SidecarRoutes.Files.List}?path={Q(rel + "/none")}", HttpStatusCode.NotFound);

        // Assert
        file.Detail.ShouldContain("not a folder");
    }

    // ---- list-recursive ----

    [Fact]
    public async Task ListRecursive_Tree_SkipsGitAndDoesNotFollowFolderLinks()
    {
        var (rel, abs) = NewDir();
        Directory.CreateDirectory(Path.Combine(abs, ".git", "objects"));
        await File.WriteAllTextAsync(Path.Combine(abs, ".git", "HEAD"), "ref", Ct);
        Directory.CreateDirectory(Path.Combine(abs, "src", "deep"));
        await File.WriteAllTextAsync(Path.Combine(abs, "src", "deep", "x.cs"), "x", Ct);
        await File.WriteAllTextAsync(Path.Combine(abs, "README"), "r", Ct);
        Directory.CreateSymbolicLink(Path.Combine(abs, "loop"), ".");
        Directory.CreateSymbolicLink(Path.Combine(abs, "src", "up"), "..");

        // Act
        var list = await Http.GetOkAsync<ListRecursiveResponse>($"{SidecarRoutes.Files.ListRecursive}?path={Q(rel)}");

        // Assert
        list.Truncated.ShouldBeFalse();
        list.Entries.ShouldBe(
        [
            new RecursiveEntry($"{rel}/README", FileEntryType.File),
            new RecursiveEntry($"{rel}/loop", FileEntryType.Symlink),
            new RecursiveEntry($"{rel}/src", FileEntryType.Directory),
            new RecursiveEntry($"{rel}/src/deep", FileEntryType.Directory),
            new RecursiveEntry($"{rel}/src/deep/x.cs", FileEntryType.File),
            new RecursiveEntry($"{rel}/src/up", FileEntryType.Symlink),
        ]);
    }

    [Fact]
    public async Task ListRecursive_MaxEntries_StopsAndFlagsTruncated()
    {
        var (rel, abs) = NewDir();
        for (var i = 0; i < 30; i++)
        {
            await File.WriteAllTextAsync(Path.Combine(abs, $"f{i:00}"), "x", Ct);
        }

        // Act
        var bounded = await Http.GetOkAsync<ListRecursiveResponse>($"{SidecarRoutes.Files.ListRecursive}?path={Q(rel)}&maxEntries=10");
        var all = await Http.GetOkAsync<ListRecursiveResponse>($"{SidecarRoutes.Files.ListRecursive}?path={Q(rel)}&maxEntries=30");

        // Assert
        bounded.Entries.Count.ShouldBe(10);
        bounded.Truncated.ShouldBeTrue();
        all.Entries.Count.ShouldBe(30);
        all.Truncated.ShouldBeFalse();
    }

    [Theory]
    [InlineData("&maxEntries=0", HttpStatusCode.BadRequest)]
    [InlineData("&maxEntries=x", HttpStatusCode.BadRequest)]
    public async Task ListRecursive_BadMaxEntries_Answers400(string query, HttpStatusCode expected)
    {
        var (rel, _) = NewDir();

        await Http.GetProblemAsync($"{SidecarRoutes.Files.ListRecursive}?path={Q(rel)}{query}", expected);
    }

    [Fact]
    public async Task ListRecursive_MissingOrFile_Answers404Or400()
    {
        var (rel, abs) = NewDir();
        await File.WriteAllTextAsync(Path.Combine(abs, "f"), "x", Ct);

        await Http.GetProblemAsync($"{SidecarRoutes.Files.ListRecursive}?path={Q(rel + "/none")}", HttpStatusCode.NotFound);
        await Http.GetProblemAsync($"{SidecarRoutes.Files.ListRecursive}?path={Q(rel + "/f")}", HttpStatusCode.BadRequest);
    }

    // ---- search-replace ----

    [Fact]
    public async Task SearchReplace_OneMatch_ReplacesAtomicallyAndKeepsMode()
    {
        var (rel, abs) = NewDir();
        var file = Path.Combine(abs, "code.cs");
        await File.WriteAllTextAsync(file, "int a = 1;\nint b = 2;\r\nint c = 3;\n", Ct);
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        // Act
        var replaced = await Http.PostOkAsync<SearchReplaceResponse>(SidecarRoutes.Files.SearchReplace,
            new SearchReplaceRequest($"{rel}/code.cs", "int b = 2;", "long b = 20;"));

        // Assert
        var content = await File.ReadAllTextAsync(file, Ct);
        content.ShouldBe("int a = 1;\nlong b = 20;\r\nint c = 3;\n");
        replaced.Size.ShouldBe(Encoding.UTF8.GetByteCount(content));
        replaced.Line.ShouldBe(2);
        File.GetUnixFileMode(file).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Directory.GetFileSystemEntries(abs).Length.ShouldBe(1);
    }

    [Theory]
    [InlineData("zzz", "found 0 occurrences")]
    [InlineData("x", "found 3 occurrences")]
    [InlineData("X", "found 0 occurrences")]
    public async Task SearchReplace_NotExactlyOneMatch_Answers409WithCount(string oldString, string expected)
    {
        var (rel, abs) = NewDir();
        await File.WriteAllTextAsync(Path.Combine(abs, "m.txt"), "x1 x2 x3", Ct);

        // Act
        var problem = await Http.PostProblemAsync(SidecarRoutes.Files.SearchReplace, new SearchReplaceRequest($"{rel}/m.txt", oldString, "y"), HttpStatusCode.Conflict);

        // Assert
        problem.Detail.ShouldStartWith(expected);
        if (expected.Contains('3', StringComparison.Ordinal))
        {
            problem.Detail.ShouldContain("add context to make it unique");
        }

        (await File.ReadAllTextAsync(Path.Combine(abs, "m.txt"), Ct)).ShouldBe("x1 x2 x3");
    }

    [Fact]
    public async Task SearchReplace_TwoMatches_Answers409WithCount()
    {
        var (rel, abs) = NewDir();
        await File.WriteAllTextAsync(Path.Combine(abs, "m.txt"), "foo bar foo", Ct);

        var problem = await Http.PostProblemAsync(SidecarRoutes.Files.SearchReplace, new SearchReplaceRequest($"{rel}/m.txt", "foo", "baz"), HttpStatusCode.Conflict);

        problem.Detail.ShouldStartWith("found 2 occurrences");
    }

    [Fact]
    public async Task SearchReplace_EmptyOrIdenticalOldString_Answers400()
    {
        var (rel, abs) = NewDir();
        await File.WriteAllTextAsync(Path.Combine(abs, "m.txt"), "abc", Ct);

        var empty = await Http.PostProblemAsync(SidecarRoutes.Files.SearchReplace, new SearchReplaceRequest($"{rel}/m.txt", "", "y"), HttpStatusCode.BadRequest);
        await Http.PostProblemAsync(SidecarRoutes.Files.SearchReplace, new SearchReplaceRequest($"{rel}/m.txt", "abc", "abc"), HttpStatusCode.BadRequest);

        empty.Detail.ShouldContain("oldString");
    }

    [Fact]
    public async Task SearchReplace_MissingFileOrMissingField_Answers404Or400()
    {
        var (rel, _) = NewDir();

        await Http.PostProblemAsync(SidecarRoutes.Files.SearchReplace, new SearchReplaceRequest($"{rel}/none", "a", "b"), HttpStatusCode.NotFound);
        var problem = await Http.PostRawProblemAsync(SidecarRoutes.Files.SearchReplace, $"{{\"path\":\"{rel}/none\",\"oldString\":\"a\"}}", HttpStatusCode.BadRequest);
        problem.Detail.ShouldContain("newString", Case.Insensitive);
    }

    // ---- containment through every path-taking endpoint ----

    [Theory]
    [InlineData("../x")]
    [InlineData("a/../../x")]
    [InlineData("/etc/passwd")]
    [InlineData("~/x")]
    [InlineData("escape/passwd")]
    [InlineData("escape")]
    public async Task EveryEndpoint_PathOutsideWorkspace_Answers400(string path)
    {
        var link = Path.Combine(fixture.Workspace, "escape");
        if (!Path.Exists(link))
        {
            try
            {
                Directory.CreateSymbolicLink(link, "/etc");
            }
            catch (IOException)
            {
                // Another test case created it first.
            }
        }

        // Act + Assert
        await Http.GetProblemAsync(Read(path), HttpStatusCode.BadRequest);
        await Http.GetProblemAsync($"{SidecarRoutes.Files.Stats}?path={Q(path)}", HttpStatusCode.BadRequest);
        await Http.GetProblemAsync($"{SidecarRoutes.Files.List}?path={Q(path)}", HttpStatusCode.BadRequest);
        await Http.GetProblemAsync($"{SidecarRoutes.Files.ListRecursive}?path={Q(path)}", HttpStatusCode.BadRequest);
        await Http.PostProblemAsync(SidecarRoutes.Files.Write, new WriteFileRequest(path, "pwned"), HttpStatusCode.BadRequest);
        await Http.PostProblemAsync(SidecarRoutes.Files.Delete, new DeleteFileRequest(path, true), HttpStatusCode.BadRequest);
        await Http.PostProblemAsync(SidecarRoutes.Files.SearchReplace, new SearchReplaceRequest(path, "root", "toor"), HttpStatusCode.BadRequest);
        await Http.PostProblemAsync(SidecarRoutes.Search.Grep, new Shadow.Sidecar.Contracts.Search.GrepRequest("root", path), HttpStatusCode.BadRequest);
        File.Exists("/etc/passwd").ShouldBeTrue();
    }
}
