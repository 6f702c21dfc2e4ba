using System.Diagnostics;
using Shadow.Grains.Abstractions.Tasks;

namespace Shadow.Bench.Agent;

/// <summary>Follows a task's event feed (<see cref="ITaskEventsGrain.FollowAsync"/>) from the start and keeps every event.</summary>
internal sealed class EventRecorder : IAsyncDisposable
{
    private readonly List<ReceivedEvent> _events = [];
    private readonly FeedProgress _progress = new();
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _follow;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Exception? _failure;

    public EventRecorder(IClusterClient client, string taskId)
    {
        _follow = FollowAsync(client.GetGrain<ITaskEventsGrain>(taskId));
    }

    public IReadOnlyList<ReceivedEvent> Snapshot()
    {
        lock (_lock)
        {
            return [.. _events];
        }
    }

    /// <summary>
    /// Waits until <paramref name="done"/> holds for the feed's progress, then answers the events so far. Checking progress
    /// copies nothing: the bench shares the process (and the 2 cores) with the silo it measures. A Gap is a harness error.
    /// </summary>
    public async Task<IReadOnlyList<ReceivedEvent>> WaitForAsync(Func<FeedProgress, bool> done, TimeSpan timeout, string what)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            Task changed;
            lock (_lock)
            {
                changed = _changed.Task;
                if (_failure is { } failure)
                {
                    throw new BenchException($"Following the task's events failed: {failure.GetType().Name}: {failure.Message}");
                }

                if (_progress.SawGap)
                {
                    throw new BenchException("The task's event feed dropped events (Gap): use fewer steps.");
                }

                if (done(_progress))
                {
                    return [.. _events];
                }
            }

            var left = timeout - deadline.Elapsed;
            if (left <= TimeSpan.Zero)
            {
                var tail = string.Join(", ", Snapshot().TakeLast(8).Select(e => $"{e.Event.Kind}{(e.Event.Text is { } t ? $" '{Shorten(t)}'" : "")}"));
                throw new BenchException($"Timed out after {timeout.TotalSeconds:0} s waiting for {what}; last events: {tail}");
            }

            await Task.WhenAny(changed, Task.Delay(left));
        }
    }

    /// <summary>A step-completion event: an assistant message (a model step) or a tool result (a tool step).</summary>
    public static bool IsCompletion(TaskEvent e) =>
        (e.Kind == TaskEventKind.Message && e.Role == ChatRole.Assistant) || e.Kind == TaskEventKind.ToolResult;

    private async Task FollowAsync(ITaskEventsGrain feed)
    {
        await Task.Yield();
        try
        {
            await foreach (var e in feed.FollowAsync(0, _stop.Token))
            {
                var received = Stopwatch.GetTimestamp();
                TaskCompletionSource changed;
                lock (_lock)
                {
                    _events.Add(new ReceivedEvent(e, received));
                    _progress.Record(e, IsCompletion(e));
                    changed = _changed;
                    _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }

                changed.TrySetResult();
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Disposed.
        }
        catch (Exception e)
        {
            TaskCompletionSource changed;
            lock (_lock)
            {
                _failure = e;
                changed = _changed;
            }

            changed.TrySetResult();
        }
    }

    private static string Shorten(string text) => text.Length <= 120 ? text : text[..120] + "…";

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _follow.WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (TimeoutException)
        {
            // The grain call ends with the silo.
        }

        _stop.Dispose();
    }
}
