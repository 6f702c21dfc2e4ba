using Orleans.Runtime;

namespace Shadow.Grains.Tests;

/// <summary>
/// A silo call filter that records every reminder tick a grain has finished handling, so a test that advances a fake clock
/// can await the tick itself (a signal) instead of sleeping and hoping it ran.
/// </summary>
public sealed class ReminderTicks : IIncomingGrainCallFilter
{
    private readonly Lock _lock = new();
    private readonly List<(GrainId Grain, string Name)> _ticks = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>How many ticks of <paramref name="name"/> the grain has handled so far.</summary>
    public int Count(GrainId grain, string name)
    {
        lock (_lock)
        {
            return _ticks.Count(t => t.Grain == grain && t.Name == name);
        }
    }

    /// <summary>Waits (bounded, real time) until the grain has handled at least <paramref name="count"/> ticks of <paramref name="name"/>.</summary>
    public async Task WaitForAsync(GrainId grain, string name, int count, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        while (true)
        {
            Task changed;
            lock (_lock)
            {
                if (_ticks.Count(t => t.Grain == grain && t.Name == name) >= count)
                {
                    return;
                }

                changed = _changed.Task;
            }

            try
            {
                await changed.WaitAsync(cts.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"{grain} handled {Count(grain, name)} '{name}' reminder ticks within {timeout}, not {count}.");
            }
        }
    }

    async Task IIncomingGrainCallFilter.Invoke(IIncomingGrainCallContext context)
    {
        try
        {
            await context.Invoke();
        }
        finally
        {
            if (context.InterfaceMethod?.Name == nameof(IRemindable.ReceiveReminder) && context.Request.GetArgumentCount() > 0
                && context.Request.GetArgument(0) is string name)
            {
                lock (_lock)
                {
                    _ticks.Add((context.TargetId, name));
                    _changed.TrySetResult();
                    _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }
            }
        }
    }
}
