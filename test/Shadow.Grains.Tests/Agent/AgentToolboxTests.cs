using System.Text.Json;
using Shadow.Grains.Agent.Tools;
using Shadow.Sidecar.Contracts.Files;
using Shouldly;

namespace Shadow.Grains.Tests.Agent;

/// <summary>The agent's tools end to end: a real silo, the task's workspace grain and its real sidecar process.</summary>
public sealed class AgentToolboxTests(AgentToolboxFixture fixture) : IClassFixture<AgentToolboxFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly AgentToolbox _sut = fixture.CreateToolbox();

    [Fact]
    public void Definitions_Always_NameExactlyTheNineTools()
    {
        _sut.Definitions.Select(d => d.Name).ShouldBe(
            ["read_file", "edit_file", "search_replace", "list_dir", "file_search", "grep_search", "run_terminal_cmd", "delete_file", "todo_write"]);
        foreach (var declaration in _sut.Definitions.Cast<Microsoft.Extensions.AI.AIFunctionDeclaration>())
        {
            declaration.Description.ShouldNotBeNullOrWhiteSpace();
            declaration.JsonSchema.GetProperty("type").GetString().ShouldBe("object");
        }
    }

    [Fact]
    public async Task ReadFile_WithLineRange_ReturnsThoseLinesNumbered()
    {
        // Act
        var result = await _sut.InvokeAsync("read_file", """{"path":"lines.txt","start_line":3,"end_line":5}""", Ct);

        // Assert
        result.IsError.ShouldBeFalse(result.Content);
        result.Content.ShouldBe("lines.txt (lines 3-5 of 10):\n     3\tline 3\n     4\tline 4\n     5\tline 5\n[more lines follow: read again with start_line=6]\n");
    }

    [Fact]
    public async Task EditFile_ThenReadFile_ReturnsTheNewContent()
    {
        // Act
        var edit = await _sut.InvokeAsync("edit_file", Args(("path", "edit/new.txt"), ("content", "one\ntwo\n")), Ct);
        var read = await _sut.InvokeAsync("read_file", Args(("path", "edit/new.txt")), Ct);

        // Assert
        edit.ShouldBe(new ToolResult("Created edit/new.txt (8 bytes).", false));
        read.Content.ShouldBe("edit/new.txt (lines 1-2 of 2):\n     1\tone\n     2\ttwo\n");
    }

    [Fact]
    public async Task SearchReplace_UniqueMatch_ReplacesIt()
    {
        await fixture.Workspace.WriteFileAsync(new WriteFileRequest("sr/unique.txt", "alpha\nbeta\ngamma\n"), Ct);

        // Act
        var result = await _sut.InvokeAsync("search_replace", Args(("path", "sr/unique.txt"), ("old_string", "beta"), ("new_string", "BETA")), Ct);

        // Assert
        result.ShouldBe(new ToolResult("Replaced 1 occurrence in sr/unique.txt at line 2 (file now 17 bytes).", false));
        (await fixture.Workspace.ReadFileAsync("sr/unique.txt", cancellationToken: Ct)).Content.ShouldBe("alpha\nBETA\ngamma\n");
    }

    [Fact]
    public async Task SearchReplace_NoMatch_ReturnsAnErrorWithTheCount()
    {
        await fixture.Workspace.WriteFileAsync(new WriteFileRequest("sr/none.txt", "alpha\n"), Ct);

        // Act
        var result = await _sut.InvokeAsync("search_replace", Args(("path", "sr/none.txt"), ("old_string", "omega"), ("new_string", "x")), Ct);

        // Assert
        result.IsError.ShouldBeTrue();
        result.Content.ShouldStartWith("search_replace failed (409");
        result.Content.ShouldContain("found 0 occurrences");
    }

    [Fact]
    public async Task ListDir_Root_ListsFoldersWithASlashAndFilesWithTheirSize()
    {
        // Act
        var result = await _sut.InvokeAsync("list_dir", "{}", Ct);

        // Assert
        result.IsError.ShouldBeFalse(result.Content);
        var lines = result.Content.Split('\n');
        lines[0].ShouldStartWith("./ (");
        lines.ShouldContain("src/");
        lines.ShouldContain("docs/");
        lines.ShouldContain("README.md (8 bytes)");
        lines.ShouldNotContain(".git/");
    }

    [Fact]
    public async Task FileSearch_FuzzyQuery_FindsThePath()
    {
        // Act
        var result = await _sut.InvokeAsync("file_search", Args(("query", "srcapp")), Ct);

        // Assert
        result.IsError.ShouldBeFalse(result.Content);
        result.Content.Split('\n')[0].ShouldBe("src/app.cs");
    }

    [Fact]
    public async Task GrepSearch_WithIncludeGlob_SearchesOnlyMatchingFiles()
    {
        // Act
        var all = await _sut.InvokeAsync("grep_search", """{"pattern":"need+le"}""", Ct);
        var csOnly = await _sut.InvokeAsync("grep_search", """{"pattern":"need+le","include":["*.cs"]}""", Ct);

        // Assert
        all.Content.ShouldContain("docs/notes.md:1: a needle in the docs\n");
        all.Content.ShouldContain("src/app.cs:1: class App { /* needle */ }\n");
        csOnly.ShouldBe(new ToolResult("src/app.cs:1: class App { /* needle */ }\n", false));
    }

    [Fact]
    public async Task RunTerminalCmd_Foreground_ReturnsTheExitCodeAndBothStreams()
    {
        // Act
        var result = await _sut.InvokeAsync("run_terminal_cmd", """{"command":"echo out-$((6*7)); echo err >&2; exit 3","timeout_seconds":20}""", Ct);

        // Assert
        result.ShouldBe(new ToolResult("Exit code: 3\nstdout:\nout-42\nstderr:\nerr\n", false));
    }

    [Fact]
    public async Task RunTerminalCmd_Background_ReturnsTheCommandsId()
    {
        // Act
        var result = await _sut.InvokeAsync("run_terminal_cmd", """{"command":"sleep 30","is_background":true}""", Ct);

        // Assert
        result.IsError.ShouldBeFalse(result.Content);
        var id = result.Content.Split(' ')[5];
        result.Content.ShouldStartWith($"Started in the background: id {id} (pid ");
        (await fixture.Workspace.ListBackgroundAsync(Ct)).Commands.ShouldContain(c => c.Id == id && c.Command == "sleep 30");
        await fixture.Workspace.KillBackgroundAsync(id, Ct);
    }

    [Fact]
    public async Task DeleteFile_ExistingFile_DeletesIt()
    {
        await fixture.Workspace.WriteFileAsync(new WriteFileRequest("del/gone.txt", "bye\n"), Ct);

        // Act
        var result = await _sut.InvokeAsync("delete_file", Args(("path", "del/gone.txt")), Ct);
        var again = await _sut.InvokeAsync("read_file", Args(("path", "del/gone.txt")), Ct);

        // Assert
        result.ShouldBe(new ToolResult("Deleted file del/gone.txt.", false));
        again.IsError.ShouldBeTrue();
        again.Content.ShouldStartWith("read_file failed (404");
    }

    [Fact]
    public async Task TodoWrite_ValidList_RendersItAndKeepsIt()
    {
        const string Json = """
            {"todos":[{"id":"1","content":"read the code","status":"completed"},
                      {"id":"2","content":"fix the bug","status":"in_progress"},
                      {"id":"3","content":"run the tests","status":"pending"}]}
            """;

        // Act
        var result = await _sut.InvokeAsync("todo_write", Json, Ct);

        // Assert
        result.ShouldBe(new ToolResult("Todo list (1/3 completed):\n[x] 1: read the code\n[~] 2: fix the bug\n[ ] 3: run the tests\n", false));
        _sut.Todos.ShouldBe([
            new TodoItem("1", "read the code", TodoStatus.Completed),
            new TodoItem("2", "fix the bug", TodoStatus.InProgress),
            new TodoItem("3", "run the tests", TodoStatus.Pending)]);
    }

    [Fact]
    public async Task TodoWrite_UnknownStatus_ReturnsAnErrorAndKeepsTheList()
    {
        await _sut.InvokeAsync("todo_write", """{"todos":[{"id":"1","content":"a","status":"pending"}]}""", Ct);

        // Act
        var result = await _sut.InvokeAsync("todo_write", """{"todos":[{"id":"1","content":"a","status":"done"}]}""", Ct);

        // Assert
        result.ShouldBe(new ToolResult("Invalid arguments for todo_write: 'todos[0].status' is 'done'; use pending, in_progress or completed.", true));
        _sut.Todos.ShouldBe([new TodoItem("1", "a", TodoStatus.Pending)]);
    }

    [Fact]
    public async Task InvokeAsync_ResultOverTheLimit_IsCutWithTheRemainingCount()
    {
        var whole = await _sut.InvokeAsync("read_file", Args(("path", "big.txt")), Ct);
        var bounded = fixture.CreateToolbox(new AgentToolboxOptions { MaxResultCharacters = 300 });

        // Act
        var result = await bounded.InvokeAsync("read_file", Args(("path", "big.txt")), Ct);

        // Assert
        whole.IsError.ShouldBeFalse(whole.Content);
        whole.Content.Length.ShouldBeGreaterThan(16_000 - 100);
        result.IsError.ShouldBeFalse();
        var fullContent = (await fixture.CreateToolbox(new AgentToolboxOptions { MaxResultCharacters = 1_000_000 })
            .InvokeAsync("read_file", Args(("path", "big.txt")), Ct)).Content;
        result.Content.ShouldBe(fullContent[..300] + $"\n[truncated: {fullContent.Length - 300} more characters]");
        whole.Content.ShouldEndWith($"\n[truncated: {fullContent.Length - 16_000} more characters]");
    }

    [Fact]
    public async Task InvokeAsync_MissingPath_ReturnsAnArgumentError()
    {
        var result = await _sut.InvokeAsync("read_file", "{}", Ct);

        result.ShouldBe(new ToolResult("Invalid arguments for read_file: 'path' is required (a string).", true));
    }

    [Fact]
    public async Task InvokeAsync_WrongType_ReturnsAnArgumentError()
    {
        var fromJson = await _sut.InvokeAsync("read_file", """{"path":"lines.txt","start_line":"three"}""", Ct);
        var fromDictionary = await _sut.InvokeAsync("edit_file", Args(("path", "x.txt"), ("content", 42)), Ct);

        fromJson.ShouldBe(new ToolResult("Invalid arguments for read_file: 'start_line' must be an integer, not a string.", true));
        fromDictionary.ShouldBe(new ToolResult("Invalid arguments for edit_file: 'content' must be a string, not a number.", true));
    }

    [Fact]
    public async Task InvokeAsync_InvalidJson_ReturnsAnArgumentError()
    {
        var result = await _sut.InvokeAsync("read_file", """{"path": "lines.txt" """, Ct);

        result.IsError.ShouldBeTrue();
        result.Content.ShouldStartWith("Invalid arguments for read_file: the arguments are not valid JSON (");
    }

    [Fact]
    public async Task InvokeAsync_UnknownTool_ReturnsAnErrorNamingTheTools()
    {
        var result = await _sut.InvokeAsync("rm_rf", "{}", Ct);

        result.ShouldBe(new ToolResult(
            "Unknown tool 'rm_rf'. The tools are: read_file, edit_file, search_replace, list_dir, file_search, grep_search, run_terminal_cmd, delete_file, todo_write.",
            true));
    }

    [Fact]
    public async Task ReadFile_PathEscapingTheWorkspace_ReturnsAnError()
    {
        var result = await _sut.InvokeAsync("read_file", Args(("path", "../x")), Ct);

        result.IsError.ShouldBeTrue();
        result.Content.ShouldStartWith("read_file failed (400");
        result.Content.ShouldContain("outside the workspace");
    }

    // As a chat client hands arguments over: JSON elements.
    private static Dictionary<string, object?> Args(params (string Name, object Value)[] arguments) =>
        arguments.ToDictionary(a => a.Name, a => (object?)JsonSerializer.SerializeToElement(a.Value));
}
