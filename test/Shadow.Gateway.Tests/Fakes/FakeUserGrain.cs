using Shadow.Grains.Abstractions.Tasks;
using Shadow.Grains.Abstractions.Users;

namespace Shadow.Gateway.Tests.Fakes;

/// <summary>In-memory user index for endpoint tests.</summary>
public sealed class FakeUserGrain : Grain, IUserGrain
{
    private readonly List<string> _tasks = [];

    public Task AddTaskAsync(string taskId, CancellationToken cancellationToken = default)
    {
        if (!_tasks.Contains(taskId))
        {
            _tasks.Insert(0, taskId);
        }

        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<string>> ListTaskIdsAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<string>>([.. _tasks]);

    public Task<bool> OwnsTaskAsync(string taskId, CancellationToken cancellationToken = default) => Task.FromResult(_tasks.Contains(taskId));

    public Task AddUsageAsync(UsageTotals usage, CancellationToken cancellationToken = default)
    {
        Usage = Usage.Add(usage);
        return Task.CompletedTask;
    }

    public Task<UsageTotals> GetUsageAsync(CancellationToken cancellationToken = default) => Task.FromResult(Usage);

    private UsageTotals Usage { get; set; } = UsageTotals.Zero;
}
