using Microsoft.Win32.SafeHandles;
using Shadow.Sidecar.Sandbox;

namespace Shadow.Sidecar.Exec;

/// <summary>
/// A bash the sidecar spawned in its own session: its pid (= process group id), the read ends of its stdout and stderr
/// pipes, for a warm shell the write end of the pipe it reads its one request from, and its pids cgroup when it has one.
/// </summary>
internal sealed class ShellProcess(int pid, SafeFileHandle stdout, SafeFileHandle stderr, SafeFileHandle? requests, Task<int> exited,
    PidsCgroup.Group? cgroup = null, bool sandboxed = false) : IDisposable
{
    public int Pid => pid;

    /// <summary>Whether the pid is a sandbox's (the bash runs inside it).</summary>
    public bool Sandboxed => sandboxed;

    /// <summary>The command's own pids cgroup (a root sidecar with a cgroup v1 pids hierarchy), else null.</summary>
    public PidsCgroup.Group? Cgroup => cgroup;

    public SafeFileHandle Stdout => stdout;

    public SafeFileHandle Stderr => stderr;

    /// <summary>Completes with the exit code (128 + signal when a signal ended it) once the shell has ended.</summary>
    public Task<int> Exited => exited;

    public bool IsWarm => requests is not null;

    /// <summary>Sends a warm shell its request and closes the pipe; false when the shell is gone.</summary>
    public bool TrySend(ReadOnlySpan<byte> request)
    {
        if (requests is null || exited.IsCompleted)
        {
            return false;
        }

        try
        {
            return NativeSpawn.WriteAll(requests, request);
        }
        finally
        {
            requests.Dispose();
        }
    }

    /// <summary>Closes every pipe end (the pumps normally close stdout and stderr themselves).</summary>
    public void Dispose()
    {
        requests?.Dispose();
        stdout.Dispose();
        stderr.Dispose();
    }
}
