namespace Shadow.Grains.Agent.Tools;

/// <summary>What a tool call gives back to the model: its text, and whether it failed.</summary>
/// <param name="Content">The text the model reads (bounded by <see cref="AgentToolboxOptions.MaxResultCharacters"/>).</param>
/// <param name="IsError">Whether the call failed (bad arguments, an unknown tool, or the workspace refused it).</param>
public sealed record ToolResult(string Content, bool IsError)
{
    /// <summary>A successful result.</summary>
    public static ToolResult Success(string content) => new(content, false);

    /// <summary>A failed result, with a message that tells the model what went wrong.</summary>
    public static ToolResult Error(string message) => new(message, true);
}
