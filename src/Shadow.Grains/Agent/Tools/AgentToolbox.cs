using System.Globalization;
using System.Text;
using Microsoft.Extensions.AI;
using Shadow.Grains.Abstractions.Errors;
using Shadow.Grains.Abstractions.Workspaces;
using Shadow.Sidecar.Contracts.Exec;
using Shadow.Sidecar.Contracts.Files;
using Shadow.Sidecar.Contracts.Search;

namespace Shadow.Grains.Agent.Tools;

/// <summary>
/// The agent's tools for one task: their declarations for the model, and their invocation through the task's
/// <see cref="IWorkspaceGrain"/>. Every result is bounded; a failing tool, malformed arguments or an unknown name come
/// back as an error result, never as an exception (only cancellation is thrown). Not thread-safe: one turn uses it at a time.
/// </summary>
public sealed class AgentToolbox
{
    private static readonly CompositeFormat TruncatedNote = CompositeFormat.Parse("\n[truncated: {0} more characters]");

    private readonly IWorkspaceGrain _workspace;
    private readonly AgentToolboxOptions _options;
    private List<TodoItem> _todos;

    /// <summary>A toolbox over the task's workspace grain.</summary>
    /// <param name="taskId">The task the tools work on.</param>
    /// <param name="workspace">The task's workspace grain (keyed by <paramref name="taskId"/>).</param>
    /// <param name="options">Result bounds; defaults when null.</param>
    /// <param name="todos">The todo list to start from (e.g. restored from the task's state).</param>
    public AgentToolbox(string taskId, IWorkspaceGrain workspace, AgentToolboxOptions? options = null, IEnumerable<TodoItem>? todos = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(taskId);
        ArgumentNullException.ThrowIfNull(workspace);
        TaskId = taskId;
        _workspace = workspace;
        _options = options ?? new AgentToolboxOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MaxResultCharacters, 1, nameof(options));
        _todos = todos?.ToList() ?? [];
    }

    /// <summary>The task the tools work on.</summary>
    public string TaskId { get; }

    /// <summary>The tool declarations to offer the model (names in <see cref="AgentToolNames"/>).</summary>
    public IReadOnlyList<AITool> Definitions => AgentToolDefinitions.All;

    /// <summary>The todo list as the model last wrote it with <c>todo_write</c>.</summary>
    public IReadOnlyList<TodoItem> Todos => _todos;

    /// <summary>Runs a tool with its arguments as a chat client hands them over.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<ToolResult> InvokeAsync(string name, IDictionary<string, object?>? arguments, CancellationToken cancellationToken = default)
    {
        ToolArguments parsed;
        try
        {
            parsed = ToolArguments.From(arguments);
        }
        catch (ToolArgumentException ex)
        {
            return InvalidArguments(name, ex);
        }

        return await InvokeAsync(name, parsed, cancellationToken);
    }

    /// <summary>Runs a tool with its arguments as a JSON object string.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<ToolResult> InvokeAsync(string name, string? argumentsJson, CancellationToken cancellationToken = default)
    {
        ToolArguments parsed;
        try
        {
            parsed = ToolArguments.Parse(argumentsJson);
        }
        catch (ToolArgumentException ex)
        {
            return InvalidArguments(name, ex);
        }

        return await InvokeAsync(name, parsed, cancellationToken);
    }

    private async Task<ToolResult> InvokeAsync(string name, ToolArguments args, CancellationToken cancellationToken)
    {
        try
        {
            var content = name switch
            {
                AgentToolNames.ReadFile => await ReadFileAsync(args, cancellationToken),
                AgentToolNames.EditFile => await EditFileAsync(args, cancellationToken),
                AgentToolNames.SearchReplace => await SearchReplaceAsync(args, cancellationToken),
                AgentToolNames.ListDir => await ListDirAsync(args, cancellationToken),
                AgentToolNames.FileSearch => await FileSearchAsync(args, cancellationToken),
                AgentToolNames.GrepSearch => await GrepSearchAsync(args, cancellationToken),
                AgentToolNames.RunTerminalCmd => await RunTerminalCmdAsync(args, cancellationToken),
                AgentToolNames.DeleteFile => await DeleteFileAsync(args, cancellationToken),
                AgentToolNames.TodoWrite => TodoWrite(args),
                _ => null,
            };
            return content is null
                ? ToolResult.Error(Bound($"Unknown tool '{name}'. The tools are: {string.Join(", ", AgentToolNames.All)}."))
                : ToolResult.Success(Bound(content));
        }
        catch (ToolArgumentException ex)
        {
            return InvalidArguments(name, ex);
        }
        catch (WorkspaceProblemException ex)
        {
            return ToolResult.Error(Bound($"{name} failed ({ex.Status} {ex.Title}): {ex.Detail}"));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            // The workspace being unavailable, a deleted task or a silo timeout: the model gets told, the turn goes on.
            return ToolResult.Error(Bound($"{name} failed: {ex.Message}"));
        }
    }

    private async Task<string> ReadFileAsync(ToolArguments args, CancellationToken cancellationToken)
    {
        var path = args.RequiredString("path");
        var start = args.OptionalInt("start_line") ?? 1;
        var end = args.OptionalInt("end_line");
        if (start < 1)
        {
            throw new ToolArgumentException("'start_line' must be 1 or more (lines are 1-based).");
        }

        if (end is { } last && last < start)
        {
            throw new ToolArgumentException($"'end_line' ({last}) must not be before 'start_line' ({start}).");
        }

        var read = await _workspace.ReadFileAsync(path, start - 1, end - start + 1, cancellationToken);
        var text = new StringBuilder();
        if (read.Lines == 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"{read.Path}: no lines in this range (the file has {read.TotalLines} lines).");
            return text.ToString();
        }

        var first = read.Offset + 1;
        text.Append(CultureInfo.InvariantCulture, $"{read.Path} (lines {first}-{read.Offset + read.Lines} of {read.TotalLines}):\n");
        var number = first;
        foreach (var line in SplitLines(read.Content))
        {
            text.Append(CultureInfo.InvariantCulture, $"{number,6}\t{line}\n");
            number++;
        }

        if (read.Truncated)
        {
            text.Append(CultureInfo.InvariantCulture, $"[more lines follow: read again with start_line={read.Offset + read.Lines + 1}]\n");
        }

        return text.ToString();
    }

    private async Task<string> EditFileAsync(ToolArguments args, CancellationToken cancellationToken)
    {
        var path = args.RequiredString("path");
        var content = args.RequiredString("content");
        var written = await _workspace.WriteFileAsync(new WriteFileRequest(path, content), cancellationToken);
        return string.Create(CultureInfo.InvariantCulture,
            $"{(written.Created ? "Created" : "Overwrote")} {written.Path} ({written.BytesWritten} bytes).");
    }

    private async Task<string> SearchReplaceAsync(ToolArguments args, CancellationToken cancellationToken)
    {
        var path = args.RequiredString("path");
        var oldString = args.RequiredString("old_string");
        var newString = args.RequiredString("new_string");
        if (oldString.Length == 0)
        {
            throw new ToolArgumentException("'old_string' must not be empty; use edit_file to write a whole file.");
        }

        var replaced = await _workspace.SearchReplaceAsync(new SearchReplaceRequest(path, oldString, newString), cancellationToken);
        return string.Create(CultureInfo.InvariantCulture,
            $"Replaced 1 occurrence in {replaced.Path} at line {replaced.Line} (file now {replaced.Size} bytes).");
    }

    private async Task<string> ListDirAsync(ToolArguments args, CancellationToken cancellationToken)
    {
        var path = args.OptionalString("path");
        var listing = await _workspace.ListFilesAsync(string.IsNullOrEmpty(path) ? null : path, cancellationToken);
        // Git's own folder is noise to the model (the recursive listing and the searches skip it too).
        var entries = listing.Entries.Where(e => !(e.Type == FileEntryType.Directory && e.Name == ".git")).ToList();
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{(listing.Path.Length == 0 ? "." : listing.Path)}/ ({entries.Count} entries)\n");
        foreach (var entry in entries)
        {
            text.Append(entry.Type switch
            {
                FileEntryType.Directory => $"{entry.Name}/\n",
                FileEntryType.File => string.Create(CultureInfo.InvariantCulture, $"{entry.Name} ({entry.Size} bytes)\n"),
                FileEntryType.Symlink => $"{entry.Name} (symlink)\n",
                _ => $"{entry.Name} (other)\n",
            });
        }

        if (listing.Truncated)
        {
            text.Append("[the folder holds more entries than listed]\n");
        }

        return text.ToString();
    }

    private async Task<string> FileSearchAsync(ToolArguments args, CancellationToken cancellationToken)
    {
        var query = args.RequiredString("query");
        var found = await _workspace.SearchFilesAsync(query, _options.MaxFileSearchResults, cancellationToken);
        if (found.Matches.Count == 0)
        {
            return $"No files match '{query}'.";
        }

        var text = new StringBuilder();
        foreach (var match in found.Matches)
        {
            text.Append(match.Path).Append('\n');
        }

        if (found.Truncated)
        {
            text.Append("[more files match: refine the query]\n");
        }

        return text.ToString();
    }

    private async Task<string> GrepSearchAsync(ToolArguments args, CancellationToken cancellationToken)
    {
        var pattern = args.RequiredString("pattern");
        var request = new GrepRequest(pattern, Include: args.OptionalStringList("include"), Exclude: args.OptionalStringList("exclude"),
            MaxResults: _options.MaxGrepResults);
        var grep = await _workspace.GrepAsync(request, cancellationToken);
        var text = new StringBuilder();
        if (grep.Matches.Count == 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"No matches for /{pattern}/ in {grep.FilesSearched} files.\n");
        }

        foreach (var match in grep.Matches)
        {
            text.Append(CultureInfo.InvariantCulture, $"{match.Path}:{match.Line}: {match.Text}\n");
        }

        if (grep.Truncated)
        {
            text.Append("[more matches: narrow the pattern or the include globs]\n");
        }

        foreach (var skipped in grep.Skipped)
        {
            text.Append(CultureInfo.InvariantCulture, $"[skipped {skipped.Path}: {skipped.Reason}]\n");
        }

        return text.ToString();
    }

    private async Task<string> RunTerminalCmdAsync(ToolArguments args, CancellationToken cancellationToken)
    {
        var command = args.RequiredString("command");
        var timeout = args.OptionalInt("timeout_seconds");
        var background = args.OptionalBool("is_background") ?? false;
        if (string.IsNullOrWhiteSpace(command))
        {
            throw new ToolArgumentException("'command' must not be empty.");
        }

        if (timeout is < 1)
        {
            throw new ToolArgumentException("'timeout_seconds' must be 1 or more.");
        }

        if (background)
        {
            var started = await _workspace.StartBackgroundAsync(new BackgroundExecRequest(command), cancellationToken);
            return string.Create(CultureInfo.InvariantCulture, $"Started in the background: id {started.Id} (pid {started.Pid}).");
        }

        var exec = await _workspace.ExecAsync(new ExecRequest(command, TimeoutSeconds: timeout), cancellationToken);
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"Exit code: {exec.ExitCode}");
        text.Append(exec.TimedOut ? " (timed out: the command was killed)\n" : "\n");
        AppendStream(text, "stdout", exec.Stdout, exec.StdoutTruncated);
        AppendStream(text, "stderr", exec.Stderr, exec.StderrTruncated);
        return text.ToString();
    }

    private async Task<string> DeleteFileAsync(ToolArguments args, CancellationToken cancellationToken)
    {
        var path = args.RequiredString("path");
        var deleted = await _workspace.DeleteFileAsync(new DeleteFileRequest(path), cancellationToken);
        return $"Deleted {(deleted.Type == FileEntryType.Directory ? "folder" : "file")} {deleted.Path}.";
    }

    private string TodoWrite(ToolArguments args)
    {
        List<TodoItem> todos = [];
        var index = 0;
        foreach (var item in args.RequiredObjectList("todos"))
        {
            string Field(string name) => item.OptionalString(name) is { Length: > 0 } value
                ? value
                : throw new ToolArgumentException($"'todos[{index}].{name}' is required (a non-empty string).");
            var status = Field("status") switch
            {
                "pending" => TodoStatus.Pending,
                "in_progress" => TodoStatus.InProgress,
                "completed" => TodoStatus.Completed,
                var other => throw new ToolArgumentException($"'todos[{index}].status' is '{other}'; use pending, in_progress or completed."),
            };
            todos.Add(new TodoItem(Field("id"), Field("content"), status));
            index++;
        }

        if (todos.GroupBy(t => t.Id, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } duplicate)
        {
            throw new ToolArgumentException($"the todo id '{duplicate.Key}' appears more than once; ids must be unique.");
        }

        _todos = todos;
        return RenderTodos(todos);
    }

    /// <summary>The todo list as the model sees it after <c>todo_write</c>.</summary>
    internal static string RenderTodos(IReadOnlyList<TodoItem> todos)
    {
        if (todos.Count == 0)
        {
            return "Todo list is empty.";
        }

        var done = todos.Count(t => t.Status == TodoStatus.Completed);
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"Todo list ({done}/{todos.Count} completed):\n");
        foreach (var todo in todos)
        {
            var mark = todo.Status switch
            {
                TodoStatus.Completed => "[x]",
                TodoStatus.InProgress => "[~]",
                _ => "[ ]",
            };
            text.Append(CultureInfo.InvariantCulture, $"{mark} {todo.Id}: {todo.Content}\n");
        }

        return text.ToString();
    }

    private static void AppendStream(StringBuilder text, string name, string output, bool truncated)
    {
        if (output.Length == 0)
        {
            text.Append(name).Append(": (empty)\n");
            return;
        }

        text.Append(name).Append(":\n").Append(output);
        if (!output.EndsWith('\n'))
        {
            text.Append('\n');
        }

        if (truncated)
        {
            text.Append(CultureInfo.InvariantCulture, $"[{name} was cut by the workspace's output cap]\n");
        }
    }

    private static IEnumerable<string> SplitLines(string content)
    {
        var start = 0;
        while (start < content.Length)
        {
            var newline = content.IndexOf('\n', start);
            var end = newline < 0 ? content.Length : newline;
            yield return content[start..end].TrimEnd('\r');
            start = end + 1;
        }
    }

    private ToolResult InvalidArguments(string name, ToolArgumentException ex) =>
        ToolResult.Error(Bound($"Invalid arguments for {name}: {ex.Message}"));

    private string Bound(string content)
    {
        var max = _options.MaxResultCharacters;
        if (content.Length <= max)
        {
            return content;
        }

        // Never cut a surrogate pair in half.
        var cut = char.IsHighSurrogate(content[max - 1]) ? max - 1 : max;
        return content[..cut] + string.Format(CultureInfo.InvariantCulture, TruncatedNote, content.Length - cut);
    }
}
