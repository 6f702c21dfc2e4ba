namespace Shadow.Grains.Agent.Tools;

/// <summary>The tool names as the model sees them.</summary>
public static class AgentToolNames
{
    /// <summary>Reads a file, optionally a range of lines.</summary>
    public const string ReadFile = "read_file";

    /// <summary>Writes a whole file.</summary>
    public const string EditFile = "edit_file";

    /// <summary>Replaces one exact, unique occurrence in a file.</summary>
    public const string SearchReplace = "search_replace";

    /// <summary>Lists a folder.</summary>
    public const string ListDir = "list_dir";

    /// <summary>Fuzzy search over file paths.</summary>
    public const string FileSearch = "file_search";

    /// <summary>Regex search through file contents.</summary>
    public const string GrepSearch = "grep_search";

    /// <summary>Runs a shell command (foreground or background).</summary>
    public const string RunTerminalCmd = "run_terminal_cmd";

    /// <summary>Deletes a file or folder.</summary>
    public const string DeleteFile = "delete_file";

    /// <summary>Replaces the agent's todo list.</summary>
    public const string TodoWrite = "todo_write";

    /// <summary>Every tool, in the order they are declared to the model.</summary>
    public static IReadOnlyList<string> All { get; } =
        [ReadFile, EditFile, SearchReplace, ListDir, FileSearch, GrepSearch, RunTerminalCmd, DeleteFile, TodoWrite];
}
