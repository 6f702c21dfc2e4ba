namespace Shadow.Gateway.Contracts;

/// <summary>Tokens and cost (of one model call, a task, or all of a user's tasks).</summary>
/// <param name="InputTokens">Tokens sent to the model.</param>
/// <param name="OutputTokens">Tokens the model produced.</param>
/// <param name="Cost">Their cost from the configured price table (0 for a model without a price).</param>
/// <param name="ModelCalls">How many model calls this covers.</param>
public sealed record UsageResponse(long InputTokens, long OutputTokens, decimal Cost, int ModelCalls);

/// <summary>Where a turn left the shadow branch; roll back with <c>POST /api/tasks/{id}/rollback</c> and its <c>messageId</c>.</summary>
/// <param name="MessageId">The turn's last message.</param>
/// <param name="Sha">The branch's commit after the turn.</param>
/// <param name="CreatedAt">When the turn ended.</param>
/// <param name="Committed">Whether the turn made that commit (false: it changed nothing).</param>
public sealed record CheckpointResponse(string MessageId, string Sha, DateTimeOffset CreatedAt, bool Committed);

/// <summary>The model the agent talks to.</summary>
/// <param name="Provider">OpenAI, Anthropic or Scripted.</param>
/// <param name="Model">The model id.</param>
/// <param name="Scripted">True when the agent replays a recorded demo conversation instead of calling a model (no provider key is configured).</param>
public sealed record AgentResponse(string Provider, string Model, bool Scripted);

/// <summary>A tool call the agent made.</summary>
/// <param name="Id">The call's id (the tool message that answers it names it in <c>toolCallId</c>).</param>
/// <param name="Name">The tool.</param>
/// <param name="Arguments">Its arguments, a JSON object as a string.</param>
public sealed record ToolCallResponse(string Id, string Name, string Arguments);

/// <summary>Body of <c>POST /api/tasks/{id}/rollback</c>.</summary>
/// <param name="MessageId">The message whose checkpoint to go back to (see the task's <c>checkpoints</c>).</param>
public sealed record RollbackRequest(string? MessageId = null);

/// <summary>Body of <c>PUT /api/tasks/{id}/messages/{messageId}</c>: the last user message's new text; the turn runs again.</summary>
/// <param name="Content">The new text (at most 100 KB).</param>
public sealed record EditMessageRequest(string? Content = null);

/// <summary>One event of <c>GET /api/tasks/{id}/events</c> (the SSE event name is <paramref name="Kind"/>, the id is <paramref name="Seq"/>).</summary>
/// <param name="Seq">Increasing within the task.</param>
/// <param name="Kind">status, turn-started, text-delta, message, tool-call, tool-result, commit, turn-ended, retry, error, gap, usage or rollback.</param>
/// <param name="At">When it happened.</param>
/// <param name="Status">The new status (status events).</param>
/// <param name="MessageId">The message concerned.</param>
/// <param name="Role">The message's author (message events).</param>
/// <param name="Text">A text delta, a message, a tool result, a commit message or a reason.</param>
/// <param name="ToolCallId">The tool call concerned.</param>
/// <param name="ToolName">The tool.</param>
/// <param name="Arguments">The tool call's arguments (JSON).</param>
/// <param name="IsError">Whether a tool result is an error.</param>
/// <param name="CommitSha">The commit (commit and rollback events).</param>
/// <param name="Usage">One model call's tokens and cost (usage events).</param>
public sealed record TaskEventResponse(
    long Seq,
    string Kind,
    DateTimeOffset At,
    TaskStatusValue? Status,
    string? MessageId,
    ChatRoleValue? Role,
    string? Text,
    string? ToolCallId,
    string? ToolName,
    string? Arguments,
    bool IsError,
    string? CommitSha,
    UsageResponse? Usage);
