using System.Collections.Concurrent;

namespace Shadow.Sidecar.Exec;

/// <summary>
/// Keeps <c>Sidecar:Exec:WarmShells</c> bash processes started ahead of time (<see cref="ShellLauncher.StartWarm"/>), each
/// already in its own session, so a command with the default environment skips the ~2 ms spawn. Each shell runs exactly
/// one command; taking one starts its replacement on the thread pool. A shell that died while waiting is dropped.
/// </summary>
internal sealed partial class WarmShellPool(int size, ShellLauncher launcher, GroupRegistry groups, TimeProvider time, ILogger logger) : IDisposable
{
    private readonly ConcurrentQueue<ShellProcess> _ready = new();
    private int _count;
    private volatile bool _disposed;

    /// <summary>Shells ready or being started.</summary>
    public int Count => Volatile.Read(ref _count);

    public void Fill()
    {
        while (!_disposed)
        {
            var current = Volatile.Read(ref _count);
            if (current >= size)
            {
                return;
            }

            if (Interlocked.CompareExchange(ref _count, current + 1, current) == current)
            {
                ThreadPool.UnsafeQueueUserWorkItem(static pool => pool.StartOne(), this, preferLocal: false);
            }
        }
    }

    /// <summary>A warm shell that has been sent <paramref name="request"/>, or null when none is ready.</summary>
    public ShellProcess? TryTake(ReadOnlySpan<byte> request)
    {
        while (_ready.TryDequeue(out var shell))
        {
            Interlocked.Decrement(ref _count);
            var sent = shell.TrySend(request);
            Fill();
            if (sent)
            {
                return shell;
            }

            Discard(shell);
        }

        return null;
    }

    public void Dispose()
    {
        _disposed = true;
        Drain();
    }

    private void StartOne()
    {
        try
        {
            _ready.Enqueue(launcher.StartWarm());
        }
        catch (Exception e)
        {
            // Not retried here: the next command that finds the pool empty asks again.
            Interlocked.Decrement(ref _count);
            LogWarningStartFailed(e);
            return;
        }

        if (_disposed)
        {
            Drain();
        }
    }

    private void Drain()
    {
        while (_ready.TryDequeue(out var shell))
        {
            Interlocked.Decrement(ref _count);
            Discard(shell);
        }
    }

    private void Discard(ShellProcess shell)
    {
        // Its request pipe closes: a waiting shell reads end-of-file and exits; the kill covers one that is still starting.
        shell.Dispose();
        ProcessGroups.Signal(shell.Pid, ProcessGroups.SigKill);
        _ = shell.Exited.ContinueWith(static (_, state) =>
        {
            var (registry, discarded, clock) = ((GroupRegistry, ShellProcess, TimeProvider))state!;
            registry.Remove(discarded.Pid);
            if (discarded.Cgroup is { } cgroup)
            {
                _ = cgroup.KillAndRemoveAsync(clock);
            }
        }, (groups, shell, time), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not start a warm shell; commands start cold until one starts")]
    private partial void LogWarningStartFailed(Exception exception);
}
