using Shadow.Grains.Abstractions.Tasks;
using Shadow.Grains.Abstractions.Users;

namespace Shadow.Grains.Users;

/// <summary>A user's task index and usage totals.</summary>
public sealed class UserGrain([PersistentState("user", StorageNames.Default)] IPersistentState<UserState> state) : Grain, IUserGrain
{
    private HashSet<string>? _index;

    private HashSet<string> Index => _index ??= new HashSet<string>(state.State.TaskIds, StringComparer.Ordinal);

    async Task IUserGrain.AddTaskAsync(string taskId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(taskId);
        if (Index.Add(taskId))
        {
            state.State.TaskIds.Add(taskId);
            await state.WriteStateAsync(cancellationToken);
        }
    }

    Task<IReadOnlyList<string>> IUserGrain.ListTaskIdsAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<string>>([.. Enumerable.Reverse(state.State.TaskIds)]);

    Task<bool> IUserGrain.OwnsTaskAsync(string taskId, CancellationToken cancellationToken) => Task.FromResult(Index.Contains(taskId));

    async Task IUserGrain.AddUsageAsync(UsageTotals usage, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(usage);
        state.State.Usage = state.State.Usage.Add(usage);
        await state.WriteStateAsync(cancellationToken);
    }

    Task<UsageTotals> IUserGrain.GetUsageAsync(CancellationToken cancellationToken) => Task.FromResult(state.State.Usage);
}
