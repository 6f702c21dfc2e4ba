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
        task.MessageCount);

    public static MessageResponse ToResponse(this ChatMessage message) =>
        new(message.Id, message.Sequence, Map(message.Role), message.Content, message.CreatedAt);

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
