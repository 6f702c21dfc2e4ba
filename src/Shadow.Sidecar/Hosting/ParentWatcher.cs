using System.Runtime.InteropServices;
using Shadow.Sidecar.Exec;

namespace Shadow.Sidecar.Hosting;

/// <summary>
/// With <c>--parent-pid</c>, stops the sidecar gracefully once that process is gone, so no sidecar outlives the host that
/// started it (even one that was SIGKILLed). Polls about once a second: while the parent is our real parent, <c>getppid()</c>
/// changes when it dies (we are re-parented); otherwise <c>/proc/PID/stat</c> tells whether the pid still runs and is still
/// the same process (same start time, so a recycled pid does not keep us alive). Not <c>PR_SET_PDEATHSIG</c>: that fires
/// when the creating <em>thread</em> exits, and .NET starts processes from pool threads.
/// </summary>
internal sealed partial class ParentWatcher(SidecarOptions options, IHostApplicationLifetime lifetime, TimeProvider time,
    ILogger<ParentWatcher> logger) : BackgroundService
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    /// <summary>Whether <paramref name="pid"/> names a live process (zombies count as gone).</summary>
    public static bool IsRunning(int pid) =>
        ProcessGroups.StatFields($"/proc/{pid}") is { Length: > 19 } fields && fields[0] is not ("Z" or "X");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.ParentProcessId is not { } parent)
        {
            return;
        }

        var direct = GetParentPid() == parent;
        var startTime = StartTime(parent);
        LogInformationWatching(parent);
        using var timer = new PeriodicTimer(PollInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                var gone = direct
                    ? GetParentPid() != parent
                    : startTime is null || !IsRunning(parent) || StartTime(parent) != startTime;
                if (gone)
                {
                    LogWarningParentGone(parent);
                    lifetime.StopApplication();
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The sidecar is stopping anyway.
        }
    }

    // Field 22 of /proc/PID/stat: start time in clock ticks since boot.
    private static string? StartTime(int pid) =>
        ProcessGroups.StatFields($"/proc/{pid}") is { Length: > 19 } fields ? fields[19] : null;

    [LibraryImport("libc", EntryPoint = "getppid")]
    private static partial int GetParentPid();

    [LoggerMessage(Level = LogLevel.Information, Message = "Watching parent process {Pid}; the sidecar stops when it is gone")]
    private partial void LogInformationWatching(int pid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Parent process {Pid} is gone; stopping")]
    private partial void LogWarningParentGone(int pid);
}
