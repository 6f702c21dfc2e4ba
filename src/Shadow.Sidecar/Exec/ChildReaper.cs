using System.Runtime.InteropServices;

namespace Shadow.Sidecar.Exec;

/// <summary>
/// Reaps the shells the sidecar spawned itself. On every SIGCHLD (and once a second as a safety net) it calls
/// <c>waitpid(pid, WNOHANG)</c> for each of its own pids only, never <c>waitpid(-1)</c>: children the runtime started through
/// <see cref="System.Diagnostics.Process"/> (git, …) stay the runtime's, which in turn only waits for the pids it knows.
/// </summary>
internal sealed partial class ChildReaper : IDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<int, TaskCompletionSource<int>> _children = [];
    private readonly ILogger _logger;
    private readonly PosixSignalRegistration _registration;
    private readonly ITimer _safetyNet;

    public ChildReaper(TimeProvider time, ILogger logger)
    {
        _logger = logger;
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("Exec needs a POSIX system.");
        }

        _registration = PosixSignalRegistration.Create(PosixSignal.SIGCHLD, _ => Poll());
        _safetyNet = time.CreateTimer(static r => ((ChildReaper)r!).Poll(), this, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    /// <summary>Starts watching <paramref name="pid"/>; the task completes with its exit code once it has ended and been reaped.</summary>
    public Task<int> Track(int pid)
    {
        // Continuations run on the thread that reaped it: a thread-pool thread (the runtime hands SIGCHLD handlers to the pool)
        // or the safety-net timer, never the runtime's signal thread; the lock is released by then. One thread hop less.
        var exited = new TaskCompletionSource<int>();
        lock (_gate)
        {
            _children[pid] = exited;
        }

        // It may have ended before it was in the table, its SIGCHLD already handled.
        Poll();
        return exited.Task;
    }

    public void Dispose()
    {
        _registration.Dispose();
        _safetyNet.Dispose();
    }

    private void Poll()
    {
        List<(TaskCompletionSource<int> Exited, int Code)>? done = null;
        lock (_gate)
        {
            if (_children.Count == 0)
            {
                return;
            }

            foreach (var (pid, exited) in _children)
            {
                var result = NativeSpawn.TryReap(pid, out var code);
                if (result == NativeSpawn.ReapResult.Running)
                {
                    continue;
                }

                if (result == NativeSpawn.ReapResult.NotOurs)
                {
                    LogWarningReapedElsewhere(pid);
                }

                (done ??= []).Add((exited, code));
                _children.Remove(pid);
            }
        }

        if (done is not null)
        {
            foreach (var (exited, code) in done)
            {
                exited.TrySetResult(code);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Process {Pid} was reaped by someone else (was the sidecar started with SIGCHLD ignored?); its exit code is lost")]
    private partial void LogWarningReapedElsewhere(int pid);
}
