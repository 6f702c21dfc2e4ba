namespace Shadow.Grains.Abstractions.Users;

/// <summary>One user (keyed by the user id): the index of their tasks and their usage totals.</summary>
[Alias("shadow.user")]
public interface IUserGrain : IGrainWithStringKey
{
    /// <summary>Adds a task to the index (idempotent).</summary>
    Task AddTaskAsync(string taskId, CancellationToken cancellationToken = default);

    /// <summary>The user's task ids, newest first.</summary>
    Task<IReadOnlyList<string>> ListTaskIdsAsync(CancellationToken cancellationToken = default);

    /// <summary>Whether the task is the user's.</summary>
    Task<bool> OwnsTaskAsync(string taskId, CancellationToken cancellationToken = default);

    /// <summary>Adds one model call's tokens and cost to the user's totals.</summary>
    Task AddUsageAsync(Tasks.UsageTotals usage, CancellationToken cancellationToken = default);

    /// <summary>The user's totals over every task.</summary>
    Task<Tasks.UsageTotals> GetUsageAsync(CancellationToken cancellationToken = default);
}
