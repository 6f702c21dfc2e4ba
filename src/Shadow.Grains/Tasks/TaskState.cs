using Shadow.Grains.Abstractions.Tasks;

namespace Shadow.Grains.Tasks;

/// <summary>What <see cref="TaskGrain"/> writes at every step: small (status and init steps), never the chat history.</summary>
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
}
