namespace Shadow.Grains.Abstractions.Users;

/// <summary>One user (keyed by the user id): the index of their tasks.</summary>
[Alias("shadow.user")]
public interface IUserGrain : IGrainWithStringKey
{
    /// <summary>Adds a task to the index (idempotent).</summary>
    Task AddTaskAsync(string taskId, CancellationToken cancellationToken = default);

    /// <summary>The user's task ids, newest first.</summary>
    Task<IReadOnlyList<string>> ListTaskIdsAsync(CancellationToken cancellationToken = default);

    /// <summary>Whether the task is the user's.</summary>
    Task<bool> OwnsTaskAsync(string taskId, CancellationToken cancellationToken = default);
}
