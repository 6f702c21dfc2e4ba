namespace Shadow.Grains.Abstractions.Tasks;

/// <summary>What a task looks like from outside.</summary>
/// <param name="Id">The task id; the branch is <c>shadow/task-{Id}</c>.</param>
/// <param name="Status">The task's status.</param>
/// <param name="UpdatedAt">When the task last changed.</param>
/// <param name="OwnerId">The user who owns it.</param>
/// <param name="Title">Its title.</param>
/// <param name="RepoUrl">The git remote it works on.</param>
/// <param name="BaseBranch">The branch it started from (resolved to the remote's default when none was given).</param>
/// <param name="Branch">Its shadow branch, <c>shadow/task-{Id}</c>.</param>
/// <param name="Model">The model asked for, if any.</param>
/// <param name="CreatedAt">When it was created.</param>
/// <param name="InitSteps">Every init step with its times and error.</param>
/// <param name="Error">Why it failed, when <see cref="Status"/> is <see cref="ShadowTaskStatus.Failed"/>.</param>
/// <param name="MessageCount">How many chat messages it holds.</param>
/// <param name="Usage">Tokens and cost of every model call of the task.</param>
/// <param name="QueuedMessages">Follow-ups waiting for the running turn to end, oldest first.</param>
/// <param name="Checkpoints">Where each turn left the shadow branch, oldest first.</param>
/// <param name="Agent">The model the agent talks to (and whether it is the scripted replay).</param>
/// <param name="TurnSteps">Steps (model calls and tool calls) of the running or last turn.</param>
[GenerateSerializer, Immutable, Alias("shadow.task-snapshot")]
public sealed record TaskSnapshot(
    string Id,
    ShadowTaskStatus Status,
    DateTimeOffset UpdatedAt,
    string OwnerId,
    string Title,
    string RepoUrl,
    string? BaseBranch,
    string Branch,
    string? Model,
    DateTimeOffset CreatedAt,
    IReadOnlyList<InitStepRecord> InitSteps,
    string? Error,
    int MessageCount,
    UsageTotals? Usage = null,
    IReadOnlyList<ChatMessage>? QueuedMessages = null,
    IReadOnlyList<Checkpoint>? Checkpoints = null,
    AgentInfo? Agent = null,
    int TurnSteps = 0);
