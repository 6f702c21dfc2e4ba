using Shadow.Grains.Abstractions.Tasks;

namespace Shadow.Grains.Tasks;

/// <summary>Thin placeholder until tasks become grains for real.</summary>
public sealed class TaskGrain(TimeProvider time) : Grain, ITaskGrain
{
    Task<TaskSnapshot> ITaskGrain.GetAsync(CancellationToken cancellationToken) =>
        Task.FromResult(new TaskSnapshot(this.GetPrimaryKeyString(), ShadowTaskStatus.Initializing, time.GetUtcNow()));
}
