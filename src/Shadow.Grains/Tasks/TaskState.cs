using Shadow.Grains.Abstractions.Tasks;
using Shadow.Grains.Agent.Tools;

namespace Shadow.Grains.Tasks;

/// <summary>
/// What <see cref="TaskGrain"/> writes at every step: small (status, init steps, the running turn's cursor, the queue),
/// never the chat history, which lives in pages of its own (<see cref="MessageLog"/>).
/// </summary>
[GenerateSerializer, Alias("shadow.task-state")]
public sealed class TaskState
{
    [Id(0)] public bool Created { get; set; }
    [Id(1)] public string OwnerId { get; set; } = "";
    [Id(2)] public string Title { get; set; } = "";
    [Id(3)] public string RepoUrl { get; set; } = "";
    [Id(4)] public string? BaseBranch { get; set; }
    [Id(5)] public string? Model { get; set; }
    [Id(6)] public DateTimeOffset CreatedAt { get; set; }
    [Id(7)] public DateTimeOffset UpdatedAt { get; set; }
    [Id(8)] public ShadowTaskStatus Status { get; set; }
    [Id(9)] public List<InitStepRecord> Steps { get; set; } = [];
    [Id(10)] public string? Error { get; set; }
    [Id(11)] public int MessageCount { get; set; }
    /// <summary>1 once the history lives in pages (0: the first version's single <c>messages</c> state, migrated on activation).</summary>
    [Id(12)] public int MessageLogVersion { get; set; }
    /// <summary>The number the next message id takes (ids stay unique after a rollback removed messages).</summary>
    [Id(13)] public int NextMessageNumber { get; set; } = 1;
    /// <summary>Follow-ups waiting for the running turn, oldest first (not in the history until their turn starts).</summary>
    [Id(14)] public List<ChatMessage> Queue { get; set; } = [];
    /// <summary>The running turn; null when none runs.</summary>
    [Id(15)] public TurnState? Turn { get; set; }
    [Id(16)] public List<Checkpoint> Checkpoints { get; set; } = [];
    [Id(17)] public UsageTotals Usage { get; set; } = UsageTotals.Zero;
    /// <summary>The shadow branch's first commit (where a rollback of the first turn goes).</summary>
    [Id(18)] public string? BaseSha { get; set; }
    [Id(19)] public List<TodoItem> Todos { get; set; } = [];
    /// <summary>Steps of the running or last turn.</summary>
    [Id(20)] public int TurnSteps { get; set; }
}
