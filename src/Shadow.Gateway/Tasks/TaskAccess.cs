using Microsoft.Extensions.Caching.Memory;
using Shadow.Grains.Abstractions.Errors;
using Shadow.Grains.Abstractions.Users;

namespace Shadow.Gateway.Tasks;

/// <summary>
/// Whether a task is the caller's. Another user's task answers exactly like an unknown one (404), so its existence never leaks.
/// Ownership never changes, so positive answers are cached (bounded); negative ones are not (the task may be created next).
/// </summary>
internal sealed class TaskAccess(IGrainFactory grains) : IDisposable
{
    private const int CacheEntries = 100_000;

    private readonly MemoryCache _owned = new(new MemoryCacheOptions { SizeLimit = CacheEntries });

    public async Task EnsureOwnedAsync(string userId, string taskId, CancellationToken cancellationToken)
    {
        var key = (userId, taskId);
        if (_owned.TryGetValue(key, out _))
        {
            return;
        }

        if (!await grains.GetGrain<IUserGrain>(userId).OwnsTaskAsync(taskId, cancellationToken))
        {
            throw new TaskNotFoundException(taskId);
        }

        Remember(userId, taskId);
    }

    public void Remember(string userId, string taskId) =>
        _owned.Set((userId, taskId), true, new MemoryCacheEntryOptions { Size = 1 });

    public void Dispose() => _owned.Dispose();
}
