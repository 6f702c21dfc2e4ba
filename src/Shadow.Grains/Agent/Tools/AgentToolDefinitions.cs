using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Shadow.Grains.Agent.Tools;

/// <summary>The declarations (name, description, JSON schema) the model is offered; the toolbox invokes them itself.</summary>
internal static class AgentToolDefinitions
{
    public static IReadOnlyList<AITool> All { get; } =
    [
        Declare(AgentToolNames.ReadFile,
            "Read a UTF-8 text file of the workspace. Lines come back numbered (1-based). Give start_line and/or end_line "
            + "(1-based, inclusive) to read part of a large file; the result says when more lines follow.",
            """
            {"type":"object","properties":{
              "path":{"type":"string","description":"File path relative to the workspace root."},
              "start_line":{"type":"integer","minimum":1,"description":"First line to read (1-based, inclusive). Default 1."},
              "end_line":{"type":"integer","minimum":1,"description":"Last line to read (1-based, inclusive). Default: to the end."}},
             "required":["path"],"additionalProperties":false}
            """),
        Declare(AgentToolNames.EditFile,
            "Create or overwrite a file with the given content (the whole file: anything not in content is lost). "
            + "Missing parent folders are created. Prefer search_replace for small changes to large files.",
            """
            {"type":"object","properties":{
              "path":{"type":"string","description":"File path relative to the workspace root."},
              "content":{"type":"string","description":"The complete new content of the file."}},
             "required":["path","content"],"additionalProperties":false}
            """),
        Declare(AgentToolNames.SearchReplace,
            "Replace one exact occurrence of old_string with new_string in a file. old_string must match the file exactly "
            + "(whitespace and line endings included) and occur exactly once; add surrounding lines to make it unique.",
            """
            {"type":"object","properties":{
              "path":{"type":"string","description":"File path relative to the workspace root."},
              "old_string":{"type":"string","description":"The exact text to replace; must occur exactly once in the file."},
              "new_string":{"type":"string","description":"The text to put in its place."}},
             "required":["path","old_string","new_string"],"additionalProperties":false}
            """),
        Declare(AgentToolNames.ListDir,
            "List the entries of a folder of the workspace (folders end with '/', files show their size).",
            """
            {"type":"object","properties":{
              "path":{"type":"string","description":"Folder path relative to the workspace root. Default: the root."}},
             "additionalProperties":false}
            """),
        Declare(AgentToolNames.FileSearch,
            "Find files by fuzzy path match (the query's characters in order, e.g. 'tskgrn' finds 'TaskGrain.cs'). Best matches first.",
            """
            {"type":"object","properties":{
              "query":{"type":"string","description":"Part of the file name or path to look for."}},
             "required":["query"],"additionalProperties":false}
            """),
        Declare(AgentToolNames.GrepSearch,
            "Search file contents with a .NET regular expression, line by line. Returns 'path:line: text' for each matching line. "
            + "Filter files with include/exclude globs: a glob without '/' matches the file name at any depth (e.g. '*.cs'), "
            + "one with '/' matches the path from the workspace root (e.g. 'src/**/*.ts'); an excluded folder name drops everything below it.",
            """
            {"type":"object","properties":{
              "pattern":{"type":"string","description":"The regular expression (case-sensitive)."},
              "include":{"type":"array","items":{"type":"string"},"description":"Globs a file must match (any of them)."},
              "exclude":{"type":"array","items":{"type":"string"},"description":"Globs that drop a file or folder."}},
             "required":["pattern"],"additionalProperties":false}
            """),
        Declare(AgentToolNames.RunTerminalCmd,
            "Run a shell command (bash -c) in the workspace root. In the foreground it waits for the exit and returns the exit "
            + "code, stdout and stderr; a command still running at timeout_seconds is killed. With is_background true it returns "
            + "at once with the command's id (use it for servers and watchers). Do not run interactive commands.",
            """
            {"type":"object","properties":{
              "command":{"type":"string","description":"The command line, run with bash -c."},
              "timeout_seconds":{"type":"integer","minimum":1,"description":"Foreground only: seconds before the command is killed. Default 30."},
              "is_background":{"type":"boolean","description":"Run it in the background and return its id at once. Default false."}},
             "required":["command"],"additionalProperties":false}
            """),
        Declare(AgentToolNames.DeleteFile,
            "Delete a file (or an empty folder) of the workspace.",
            """
            {"type":"object","properties":{
              "path":{"type":"string","description":"Path relative to the workspace root."}},
             "required":["path"],"additionalProperties":false}
            """),
        Declare(AgentToolNames.TodoWrite,
            "Replace your todo list for this task with the given items (send the whole list each time) and see it rendered. "
            + "Use it to plan multi-step work and to mark progress: keep at most one item in_progress.",
            """
            {"type":"object","properties":{
              "todos":{"type":"array","description":"The complete todo list.","items":{"type":"object","properties":{
                "id":{"type":"string","description":"A short unique id."},
                "content":{"type":"string","description":"What to do."},
                "status":{"type":"string","enum":["pending","in_progress","completed"]}},
               "required":["id","content","status"],"additionalProperties":false}}},
             "required":["todos"],"additionalProperties":false}
            """),
    ];

    private static AIFunctionDeclaration Declare(string name, string description, string schema)
    {
        using var document = JsonDocument.Parse(schema);
        return AIFunctionFactory.CreateDeclaration(name, description, document.RootElement.Clone());
    }
}
