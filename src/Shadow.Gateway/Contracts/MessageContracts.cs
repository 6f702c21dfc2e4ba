namespace Shadow.Gateway.Contracts;

/// <summary>Body of <c>POST /api/tasks/{id}/messages</c>: a follow-up (queued while a turn runs).</summary>
/// <param name="Content">The message text (at most 100 KB).</param>
public sealed record PostMessageRequest(string? Content = null);

/// <summary>One chat message.</summary>
/// <param name="Id">Its id, unique within the task.</param>
/// <param name="Sequence">Its position, from 1.</param>
/// <param name="Role">user, assistant, tool or system.</param>
/// <param name="Content">Its text.</param>
/// <param name="CreatedAt">When it was added.</param>
/// <param name="ToolCalls">The tool calls an assistant message asks for.</param>
/// <param name="ToolCallId">For a tool message: the call it answers.</param>
/// <param name="ToolName">For a tool message: the tool.</param>
/// <param name="IsError">For a tool message: whether the call failed.</param>
/// <param name="Usage">For an assistant message: the model call's tokens and cost.</param>
public sealed record MessageResponse(
    string Id,
    long Sequence,
    ChatRoleValue Role,
    string Content,
    DateTimeOffset CreatedAt,
    IReadOnlyList<ToolCallResponse>? ToolCalls = null,
    string? ToolCallId = null,
    string? ToolName = null,
    bool IsError = false,
    UsageResponse? Usage = null);
