using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Shadow.Grains.Abstractions.Tasks;

namespace Shadow.Grains.Tasks;

/// <summary>
/// In a multi-silo cluster: when a silo is declared dead, wakes every task whose init or turn was running (it holds a
/// <c>task-init</c> or <c>task-turn</c> reminder) so it activates on a live silo and resumes from its last persisted step at once,
/// rather than at the reminder's next tick (up to a minute later). Waking a task that is already active elsewhere is a no-op.
/// </summary>
internal sealed partial class TaskResumer(
    IClusterMembershipService membership,
    IReminderTable reminders,
    IGrainFactory grains,
    ILogger<TaskResumer> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(500);
    private const int Attempts = 5;

    private readonly CancellationTokenSource _stop = new();
    private Task? _watch;

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(TaskResumer), ServiceLifecycleStage.Active, OnStartAsync, OnStopAsync);

    private Task OnStartAsync(CancellationToken cancellationToken)
    {
        _watch = Task.Run(() => WatchAsync(_stop.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    private async Task OnStopAsync(CancellationToken cancellationToken)
    {
        await _stop.CancelAsync();
        if (_watch is not null)
        {
            await _watch.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private async Task WatchAsync(CancellationToken cancellationToken)
    {
        var dead = membership.CurrentSnapshot.Members.Values.Where(m => m.Status == SiloStatus.Dead).Select(m => m.SiloAddress).ToHashSet();
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(cancellationToken))
                {
                    var newlyDead = snapshot.Members.Values.Where(m => m.Status == SiloStatus.Dead && dead.Add(m.SiloAddress)).ToList();
                    if (newlyDead.Count > 0)
                    {
                        LogSiloDied(string.Join(", ", newlyDead.Select(m => m.SiloAddress)));
                        await ResumeAsync(cancellationToken);
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
            }
            catch (Exception ex)
            {
                LogWatchFailed(ex);
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private async Task ResumeAsync(CancellationToken cancellationToken)
    {
        var taskType = grains.GetGrain<ITaskGrain>("resumer-probe").GetGrainId().Type;
        // begin == end is the whole ring.
        var all = await reminders.ReadRows(uint.MaxValue, uint.MaxValue, cancellationToken);
        var tasks = all.Reminders
            .Where(r => r.GrainId.Type == taskType && r.ReminderName is TaskGrain.TurnReminderName or TaskGrain.InitReminderName)
            .Select(r => r.GrainId.Key.ToString()!)
            .Distinct(StringComparer.Ordinal)
            .ToList();
        LogResuming(tasks.Count);
        await Parallel.ForEachAsync(tasks, new ParallelOptions { MaxDegreeOfParallelism = 32, CancellationToken = cancellationToken },
            async (id, ct) =>
            {
                for (var attempt = 1; ; attempt++)
                {
                    try
                    {
                        // Any call activates the grain; its activation resumes the init or turn from the last persisted step.
                        await grains.GetGrain<ITaskGrain>(id).GetAsync(ct);
                        return;
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException && attempt < Attempts)
                    {
                        // The directory may still point at the dead silo for a moment.
                        await Task.Delay(RetryDelay, ct);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        LogWakeFailed(id, ex);
                        return;
                    }
                }
            });
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Silo(s) {Silos} declared dead: waking the tasks that were running")]
    private partial void LogSiloDied(string silos);

    [LoggerMessage(Level = LogLevel.Information, Message = "Waking {Count} task(s) with a running init or turn")]
    private partial void LogResuming(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Task {TaskId} could not be woken after a silo died")]
    private partial void LogWakeFailed(string taskId, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Watching the cluster membership failed; retrying")]
    private partial void LogWatchFailed(Exception exception);
}
