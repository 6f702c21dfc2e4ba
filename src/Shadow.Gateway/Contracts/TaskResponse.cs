namespace Shadow.Gateway.Contracts;

/// <summary>A task as the API shows it.</summary>
/// <param name="Id">The task id; its branch is <c>shadow/task-{id}</c>.</param>
/// <param name="Status">initializing, running, idle, completed, failed, stopped or archived.</param>
/// <param name="Title">Its title.</param>
/// <param name="RepoUrl">The git remote.</param>
/// <param name="BaseBranch">The branch it started from (null until resolved when none was given).</param>
/// <param name="Branch">Its shadow branch.</param>
/// <param name="Model">The model asked for, if any.</param>
/// <param name="InitSteps">Every init step with its times, error and attempts.</param>
/// <param name="Error">Why it failed, when it did.</param>
/// <param name="CreatedAt">When it was created.</param>
/// <param name="UpdatedAt">When it last changed.</param>
/// <param name="MessageCount">How many chat messages it holds.</param>
/// <param name="Usage">Tokens and cost of every model call of the task.</param>
/// <param name="QueuedMessages">Follow-ups waiting for the running turn, oldest first.</param>
/// <param name="Checkpoints">Where each turn left the shadow branch, oldest first.</param>
/// <param name="Agent">The model the agent talks to, and whether it is the scripted demo.</param>
/// <param name="TurnSteps">Steps (model calls and tool calls) of the running or last turn.</param>
public sealed record TaskResponse(
    string Id,
    TaskStatusValue Status,
    string Title,
    string RepoUrl,
    string? BaseBranch,
    string Branch,
    string? Model,
    IReadOnlyList<InitStepResponse> InitSteps,
    string? Error,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    int MessageCount,
    UsageResponse Usage,
    IReadOnlyList<MessageResponse> QueuedMessages,
    IReadOnlyList<CheckpointResponse> Checkpoints,
    AgentResponse? Agent,
    int TurnSteps);

/// <summary>One init step (its last attempt).</summary>
/// <param name="Step">Which step.</param>
/// <param name="Status">pending, running, succeeded or failed.</param>
/// <param name="StartedAt">When its last attempt started.</param>
/// <param name="EndedAt">When its last attempt ended.</param>
/// <param name="Error">Why it failed.</param>
/// <param name="Attempts">How many times it was started.</param>
public sealed record InitStepResponse(
    InitStepValue Step,
    InitStepStatusValue Status,
    DateTimeOffset? StartedAt,
    DateTimeOffset? EndedAt,
    string? Error,
    int Attempts);
