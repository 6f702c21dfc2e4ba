using System.Text.Json;
using Shadow.Grains.Abstractions.Tasks;
using AI = Microsoft.Extensions.AI;

namespace Shadow.Grains.Agent;

/// <summary>Turns a task's history into what the model is sent, and the model's tool calls into what the history keeps.</summary>
public static class AgentConversation
{
    /// <summary>What the agent is told before the history.</summary>
    public const string SystemPrompt =
        """
        You are Shadow, an autonomous coding agent. You work inside a git checkout of the user's repository (the workspace root)
        using the tools you are given: read and search before you change things, make focused edits, and run the project's build
        or tests with run_terminal_cmd when that helps you check your work. Paths are relative to the workspace root.
        Shadow commits and pushes your changes after every turn: do not run git commit or git push yourself.
        When the work is done, answer with a short summary of what you changed and why.
        """;

    /// <summary>The system prompt, then every user, assistant and tool message of <paramref name="history"/> (Shadow's own notices are left out).</summary>
    public static List<AI.ChatMessage> Build(IReadOnlyList<ChatMessage> history)
    {
        ArgumentNullException.ThrowIfNull(history);
        List<AI.ChatMessage> messages = [new(AI.ChatRole.System, SystemPrompt)];
        foreach (var m in history)
        {
            switch (m.Role)
            {
                case ChatRole.User:
                    messages.Add(new AI.ChatMessage(AI.ChatRole.User, m.Content));
                    break;
                case ChatRole.Assistant:
                    List<AI.AIContent> contents = [];
                    if (!string.IsNullOrEmpty(m.Content))
                    {
                        contents.Add(new AI.TextContent(m.Content));
                    }

                    foreach (var call in m.ToolCalls ?? [])
                    {
                        contents.Add(new AI.FunctionCallContent(call.Id, call.Name, ParseArguments(call.Arguments)));
                    }

                    messages.Add(new AI.ChatMessage(AI.ChatRole.Assistant, contents));
                    break;
                case ChatRole.Tool:
                    messages.Add(new AI.ChatMessage(AI.ChatRole.Tool, [new AI.FunctionResultContent(m.ToolCallId ?? "", m.Content)]));
                    break;
                default:
                    break;
            }
        }

        return messages;
    }

    /// <summary>A model's tool call as the history keeps it: arguments as a JSON object string, or a marker the toolbox rejects
    /// when the model's arguments could not be parsed.</summary>
    public static ToolCall ToToolCall(AI.FunctionCallContent call, int index)
    {
        ArgumentNullException.ThrowIfNull(call);
        var id = string.IsNullOrWhiteSpace(call.CallId) ? $"call_{index}" : call.CallId;
        string arguments;
        if (call.Exception is { } error)
        {
            arguments = $"<invalid JSON arguments: {error.Message}>";
        }
        else
        {
            arguments = call.Arguments is null ? "{}" : JsonSerializer.Serialize(call.Arguments, AI.AIJsonUtilities.DefaultOptions);
        }

        return new ToolCall(id, call.Name ?? "", arguments);
    }

    private static Dictionary<string, object?> ParseArguments(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind == JsonValueKind.Object)
            {
                return document.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone(), StringComparer.Ordinal);
            }
        }
        catch (JsonException)
        {
            // The model wrote malformed arguments; it was told so in the tool result. Send an empty object back.
        }

        return [];
    }
}
