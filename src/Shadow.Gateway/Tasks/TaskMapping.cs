using Shadow.Gateway.Contracts;
using Shadow.Grains.Abstractions.Tasks;

namespace Shadow.Gateway.Tasks;

/// <summary>Grain DTOs to HTTP DTOs (spelled out, so a reordered grain enum cannot change the wire).</summary>
internal static class TaskMapping
{
    public static TaskResponse ToResponse(this TaskSnapshot task) => new(
        task.Id,
        Map(task.Status),
        task.Title,
        task.RepoUrl,
        task.BaseBranch,
        task.Branch,
        task.Model,
        [.. task.InitSteps.Select(s => new InitStepResponse(Map(s.Step), Map(s.Status), s.StartedAt, s.EndedAt, s.Error, s.Attempts))],
        task.Error,
        task.CreatedAt,
        task.UpdatedAt,
        task.MessageCount,
        (task.Usage ?? UsageTotals.Zero).ToResponse(),
        [.. (task.QueuedMessages ?? []).Select(m => m.ToResponse())],
        [.. (task.Checkpoints ?? []).Select(c => new CheckpointResponse(c.MessageId, c.Sha, c.CreatedAt, c.Committed))],
        task.Agent is { } agent ? new AgentResponse(agent.Provider, agent.Model, agent.Scripted) : null,
        task.TurnSteps);

    public static MessageResponse ToResponse(this ChatMessage message) =>
        new(message.Id, message.Sequence, Map(message.Role), message.Content, message.CreatedAt,
            message.ToolCalls is { Count: > 0 } calls ? [.. calls.Select(c => new ToolCallResponse(c.Id, c.Name, c.Arguments))] : null,
            message.ToolCallId, message.ToolName, message.IsError, message.Usage?.ToResponse());

    public static UsageResponse ToResponse(this UsageTotals usage) => new(usage.InputTokens, usage.OutputTokens, usage.Cost, usage.ModelCalls);

    public static TaskEventResponse ToResponse(this TaskEvent e) => new(
        e.Seq,
        EventName(e.Kind),
        e.At,
        e.Status is { } status ? Map(status) : null,
        e.MessageId,
        e.Role is { } role ? Map(role) : null,
        e.Text,
        e.ToolCallId,
        e.ToolName,
        e.Arguments,
        e.IsError,
        e.CommitSha,
        e.Usage?.ToResponse());

    /// <summary>The SSE event name of a task event kind.</summary>
    public static string EventName(TaskEventKind kind) => kind switch
    {
        TaskEventKind.Status => "status",
        TaskEventKind.TurnStarted => "turn-started",
        TaskEventKind.TextDelta => "text-delta",
        TaskEventKind.Message => "message",
        TaskEventKind.ToolCall => "tool-call",
        TaskEventKind.ToolResult => "tool-result",
        TaskEventKind.Commit => "commit",
        TaskEventKind.TurnEnded => "turn-ended",
        TaskEventKind.Retry => "retry",
        TaskEventKind.Error => "error",
        TaskEventKind.Gap => "gap",
        TaskEventKind.Usage => "usage",
        TaskEventKind.Rollback => "rollback",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "A task event the gateway does not know."),
    };

    private static TaskStatusValue Map(ShadowTaskStatus status) => status switch
    {
        ShadowTaskStatus.Initializing => TaskStatusValue.Initializing,
        ShadowTaskStatus.Running => TaskStatusValue.Running,
        ShadowTaskStatus.Idle => TaskStatusValue.Idle,
        ShadowTaskStatus.Completed => TaskStatusValue.Completed,
        ShadowTaskStatus.Failed => TaskStatusValue.Failed,
        ShadowTaskStatus.Stopped => TaskStatusValue.Stopped,
        ShadowTaskStatus.Archived => TaskStatusValue.Archived,
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "A task status the gateway does not know."),
    };

    private static InitStepValue Map(InitStepKind step) => step switch
    {
        InitStepKind.PrepareWorkspace => InitStepValue.PrepareWorkspace,
        InitStepKind.CreateWorkspace => InitStepValue.CreateWorkspace,
        InitStepKind.WaitSidecarReady => InitStepValue.WaitSidecarReady,
        InitStepKind.CloneRepository => InitStepValue.CloneRepository,
        InitStepKind.CreateShadowBranch => InitStepValue.CreateShadowBranch,
        InitStepKind.Active => InitStepValue.Active,
        _ => throw new ArgumentOutOfRangeException(nameof(step), step, "An init step the gateway does not know."),
    };

    private static InitStepStatusValue Map(InitStepStatus status) => status switch
    {
        InitStepStatus.Pending => InitStepStatusValue.Pending,
        InitStepStatus.Running => InitStepStatusValue.Running,
        InitStepStatus.Succeeded => InitStepStatusValue.Succeeded,
        InitStepStatus.Failed => InitStepStatusValue.Failed,
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "An init step status the gateway does not know."),
    };

    private static ChatRoleValue Map(ChatRole role) => role switch
    {
        ChatRole.User => ChatRoleValue.User,
        ChatRole.Assistant => ChatRoleValue.Assistant,
        ChatRole.Tool => ChatRoleValue.Tool,
        ChatRole.System => ChatRoleValue.System,
        _ => throw new ArgumentOutOfRangeException(nameof(role), role, "A chat role the gateway does not know."),
    };
}
