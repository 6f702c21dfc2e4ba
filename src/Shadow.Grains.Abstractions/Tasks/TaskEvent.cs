namespace Shadow.Grains.Abstractions.Tasks;

/// <summary>
/// One event of a task's live feed (<see cref="ITaskEventsGrain"/>). Only the members that fit <see cref="Kind"/> are set.
/// The feed is for watching; the durable record is the message history.
/// </summary>
/// <param name="Seq">Increasing within the task (across restarts too; there may be holes).</param>
/// <param name="Kind">What it reports.</param>
/// <param name="At">When it happened.</param>
/// <param name="Status">The new status (<see cref="TaskEventKind.Status"/>).</param>
/// <param name="MessageId">The message concerned.</param>
/// <param name="Role">The message's author (<see cref="TaskEventKind.Message"/>).</param>
/// <param name="Text">Text: a delta, a message, a tool result, a commit message, a reason.</param>
/// <param name="ToolCallId">The tool call concerned.</param>
/// <param name="ToolName">The tool.</param>
/// <param name="Arguments">The tool call's arguments (JSON).</param>
/// <param name="IsError">Whether a tool result is an error.</param>
/// <param name="CommitSha">The commit (<see cref="TaskEventKind.Commit"/>, <see cref="TaskEventKind.Rollback"/>).</param>
/// <param name="Usage">Tokens and cost of one model call (<see cref="TaskEventKind.Usage"/>).</param>
[GenerateSerializer, Immutable, Alias("shadow.task-event")]
public sealed record TaskEvent(
    long Seq,
    TaskEventKind Kind,
    DateTimeOffset At,
    ShadowTaskStatus? Status = null,
    string? MessageId = null,
    ChatRole? Role = null,
    string? Text = null,
    string? ToolCallId = null,
    string? ToolName = null,
    string? Arguments = null,
    bool IsError = false,
    string? CommitSha = null,
    UsageTotals? Usage = null);
