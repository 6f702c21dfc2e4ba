namespace Shadow.Grains.Abstractions.Tasks;

/// <summary>One message of a task's chat history.</summary>
/// <param name="Id">Its id, unique within the task.</param>
/// <param name="Sequence">Its position in the history, from 1.</param>
/// <param name="Role">Who wrote it.</param>
/// <param name="Content">Its text.</param>
/// <param name="CreatedAt">When it was added.</param>
/// <param name="ToolCalls">The tool calls an assistant message asks for (null when none).</param>
/// <param name="ToolCallId">For a <see cref="ChatRole.Tool"/> message: the call it answers.</param>
/// <param name="IsError">For a <see cref="ChatRole.Tool"/> message: whether the call failed.</param>
/// <param name="Usage">For an assistant message: the tokens and cost of the model call that wrote it.</param>
/// <param name="ToolName">For a <see cref="ChatRole.Tool"/> message: the tool that answered.</param>
[GenerateSerializer, Immutable, Alias("shadow.chat-message")]
public sealed record ChatMessage(
    string Id,
    long Sequence,
    ChatRole Role,
    string Content,
    DateTimeOffset CreatedAt,
    IReadOnlyList<ToolCall>? ToolCalls = null,
    string? ToolCallId = null,
    bool IsError = false,
    UsageTotals? Usage = null,
    string? ToolName = null);
