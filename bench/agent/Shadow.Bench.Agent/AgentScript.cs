using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Shadow.Bench.Agent;

/// <summary>
/// Writes the scripted agent's conversation (the format of <c>ScriptedChatClient</c>): four turns, each a run of tool calls,
/// one per model step, ended by a text answer. The scripted model replays by the number of assistant messages in the history,
/// so the prompt's turn replays the warm-up, the first follow-up the todo_write run, the second the read_file run and the third
/// one edit_file (so that turn ends with a real commit and push).
/// </summary>
internal static class AgentScript
{
    public const string ReadTarget = "data/read-4k.txt";

    public const string EditTarget = "scratch/agent-edit.txt";

    public static void Write(string path, int warmup, int todoSteps, int readSteps)
    {
        using var stream = File.Create(path);
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = false });
        json.WriteStartObject();
        json.WriteString("commitMessage", "Agent bench turn");
        json.WriteStartArray("turns");
        for (var i = 0; i < warmup; i++)
        {
            TodoWrite(json, i);
        }

        Text(json, "Warm-up done.");
        for (var i = 0; i < todoSteps; i++)
        {
            TodoWrite(json, i);
        }

        Text(json, "The todo list is up to date.");
        for (var i = 0; i < readSteps; i++)
        {
            ReadFile(json, i);
        }

        Text(json, "I read the file.");

        // The last turn changes one file, so its end commits and pushes (the end-of-turn path, timed from the events).
        EditFile(json);
        Text(json, "I updated the scratch file.");
        json.WriteEndArray();
        json.WriteEndObject();
    }

    // Five items, as a planning agent keeps them; the first one names the step, so no two consecutive calls are equal (loop detection).
    private static void TodoWrite(Utf8JsonWriter json, int step)
    {
        json.WriteStartObject();
        json.WriteStartArray("toolCalls");
        json.WriteStartObject();
        json.WriteString("name", "todo_write");
        json.WriteStartObject("arguments");
        json.WriteStartArray("todos");
        for (var item = 0; item < 5; item++)
        {
            json.WriteStartObject();
            json.WriteString("id", string.Create(CultureInfo.InvariantCulture, $"t{item + 1}"));
            json.WriteString("content", item == 0
                ? string.Create(CultureInfo.InvariantCulture, $"Review module {step % 10} (pass {step})")
                : string.Create(CultureInfo.InvariantCulture, $"Update src/module-{item}/file-{item}.cs and its tests"));
            json.WriteString("status", (step + item) % 5 == 0 ? "in_progress" : item < (step % 5) ? "completed" : "pending");
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteEndObject();
    }

    // The whole 4 KB file each time; two spellings alternate so no two consecutive calls are equal (loop detection).
    private static void ReadFile(Utf8JsonWriter json, int step)
    {
        json.WriteStartObject();
        json.WriteStartArray("toolCalls");
        json.WriteStartObject();
        json.WriteString("name", "read_file");
        json.WriteStartObject("arguments");
        json.WriteString("path", ReadTarget);
        if (step % 2 == 1)
        {
            json.WriteNumber("start_line", 1);
        }

        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void EditFile(Utf8JsonWriter json)
    {
        json.WriteStartObject();
        json.WriteStartArray("toolCalls");
        json.WriteStartObject();
        json.WriteString("name", "edit_file");
        json.WriteStartObject("arguments");
        json.WriteString("path", EditTarget);
        json.WriteString("content", "written by the agent bench\n");
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void Text(Utf8JsonWriter json, string text)
    {
        json.WriteStartObject();
        json.WriteString("text", text);
        json.WriteEndObject();
    }

    /// <summary>A short description for the report.</summary>
    public static string Describe(int warmup, int todoSteps, int readSteps) => new StringBuilder()
        .Append(CultureInfo.InvariantCulture, $"warm-up turn: {warmup} todo_write + text; ")
        .Append(CultureInfo.InvariantCulture, $"measured turn: {todoSteps} todo_write + text ({(2 * todoSteps) + 1} steps); ")
        .Append(CultureInfo.InvariantCulture, $"sidecar turn: {readSteps} read_file of {ReadTarget} + text ({(2 * readSteps) + 1} steps); ")
        .Append(CultureInfo.InvariantCulture, $"commit turn: 1 edit_file of {EditTarget} + text (ends with a commit and push)")
        .ToString();
}
