namespace Shadow.Grains.Abstractions.Tasks;

/// <summary>One task: its status, init steps, chat and the agent loop (filled in by the tasks-as-grains issue).</summary>
[Alias("shadow.task")]
public interface ITaskGrain : IGrainWithStringKey
{
    /// <summary>The task as it stands.</summary>
    Task<TaskSnapshot> GetAsync(CancellationToken cancellationToken = default);
}
