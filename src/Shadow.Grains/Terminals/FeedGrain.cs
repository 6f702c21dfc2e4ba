using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Shadow.Grains.Abstractions.Terminals;
using Shadow.Grains.Sidecar;
using Shadow.Grains.Workspaces;

namespace Shadow.Grains.Terminals;

/// <summary>
/// The pattern the terminal and the change feed share: follow a sidecar's SSE stream from the last seq seen on that
/// instance (so a restart of the sidecar or a move of the grain loses nothing), renumber entries into the grain's own
/// monotonically increasing seq, keep a bounded buffer in state, and serve any number of readers (replay, then live).
/// </summary>
/// <remarks>
/// Reentrant: readers wait for new entries inside their calls while the follow loop appends (on the grain's scheduler).
/// Chose <see cref="IAsyncEnumerable{T}"/> grain methods over Orleans streams: a reader resumes from its own cursor after a
/// failover (the seq it last saw), which is exactly the SSE <c>Last-Event-ID</c> contract, with no stream provider or
/// pub-sub state to run; a slow reader only falls behind the buffer (gap marker) and never slows the producer.
/// </remarks>
public abstract partial class FeedGrain<T>(
    IPersistentState<FeedState<T>> state,
    SidecarClientFactory clients,
    FeedOptions options,
    TimeProvider time,
    ILogger logger) : Grain
    where T : class
{
    private const int FollowPageSize = 256;
    private const int MaxAppendBatch = 512;
    private const int PumpCapacity = 1024;
    private TaskCompletionSource _signal = NewSignal();
    private CancellationTokenSource? _following;
    private SidecarConnection? _connection;
    private IGrainTimer? _flush;
    private bool _dirty;

    /// <summary>The most entries kept.</summary>
    protected abstract int MaxEntries { get; }

    /// <summary>The most bytes kept (<see cref="SizeOf"/>).</summary>
    protected abstract long MaxBytes { get; }

    /// <summary>The entry's seq.</summary>
    protected abstract long SeqOf(T entry);

    /// <summary>The entry with another seq.</summary>
    protected abstract T WithSeq(T entry, long seq);

    /// <summary>A gap marker at <paramref name="seq"/> saying <paramref name="dropped"/> entries were lost.</summary>
    protected abstract T Gap(long seq, long dropped, DateTimeOffset now);

    /// <summary>The entry's weight in <see cref="MaxBytes"/>.</summary>
    protected abstract long SizeOf(T entry);

    /// <summary>Opens the sidecar's stream after <paramref name="lastSeq"/> (the sidecar's own numbering; 0 from the start).</summary>
    protected abstract IAsyncEnumerable<T> OpenAsync(SidecarClient client, long lastSeq, CancellationToken cancellationToken);

    /// <summary>The workspace grain of this task.</summary>
    private IWorkspaceLifecycleGrain Workspace => GrainFactory.GetGrain<IWorkspaceLifecycleGrain>(this.GetPrimaryKeyString());

    private FeedState<T> S => state.State;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // A live workspace may exist (the grain moved or was collected): ask for it once, in the background.
        _ = ReattachAsync();
        return Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _following?.Cancel();
        _flush?.Dispose();
        if (_dirty)
        {
            await FlushAsync(cancellationToken);
        }

        await base.OnDeactivateAsync(reason, cancellationToken);
    }

    /// <summary>Starts (or moves) the follow loop onto <paramref name="connection"/>.</summary>
    protected Task AttachCoreAsync(SidecarConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        if (_connection == connection && _following is { IsCancellationRequested: false })
        {
            return Task.CompletedTask;
        }

        if (S.InstanceId != connection.InstanceId)
        {
            S.InstanceId = connection.InstanceId;
            S.SidecarSeq = 0;
            _dirty = true;
        }

        _following?.Cancel();
        _connection = connection;
        _following = new CancellationTokenSource();
        _flush ??= this.RegisterGrainTimer(FlushTickAsync, new GrainTimerCreationOptions
        {
            DueTime = options.FlushInterval,
            Period = options.FlushInterval,
            Interleave = true,
            KeepAlive = true,
        });
        _ = FollowLoopAsync(connection, _following.Token);
        return Task.CompletedTask;
    }

    /// <summary>Entries after <paramref name="since"/>, a gap marker first when some were evicted.</summary>
    protected Task<FeedPage<T>> GetHistoryCoreAsync(long since, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(since);
        limit = Math.Clamp(limit, 1, 10_000);
        var page = Page(since, limit, out var hasMore);
        return Task.FromResult(new FeedPage<T>(page, S.LastSeq, hasMore));
    }

    /// <summary>Replay after <paramref name="since"/>, then live entries, until cancelled.</summary>
    protected async IAsyncEnumerable<T> FollowCoreAsync(long since, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(since);
        while (!cancellationToken.IsCancellationRequested)
        {
            var signal = _signal.Task;
            var page = Page(since, FollowPageSize, out _);
            if (page.Count == 0)
            {
                try
                {
                    await signal.WaitAsync(cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    yield break;
                }

                continue;
            }

            foreach (var entry in page)
            {
                yield return entry;
            }

            since = SeqOf(page[^1]);
        }
    }

    /// <summary>The buffer's counters.</summary>
    protected Task<FeedInfo> GetInfoCoreAsync() =>
        Task.FromResult(new FeedInfo(this.GetPrimaryKeyString(), S.Entries.Count, S.Entries.Count == 0 ? 0 : SeqOf(S.Entries[0]), S.LastSeq, S.Dropped,
            _following is { IsCancellationRequested: false }));

    private List<T> Page(long since, int limit, out bool hasMore)
    {
        var entries = S.Entries;
        var result = new List<T>(Math.Min(limit, entries.Count));
        hasMore = false;
        if (entries.Count == 0 || since >= S.LastSeq)
        {
            return result;
        }

        var oldest = SeqOf(entries[0]);
        var start = (int)Math.Max(0, since + 1 - oldest);
        if (since + 1 < oldest)
        {
            // The reader is behind the buffer: say how much it lost, then go on from the oldest entry held.
            result.Add(Gap(oldest - 1, oldest - 1 - since, time.GetUtcNow()));
        }

        for (var i = start; i < entries.Count; i++)
        {
            if (result.Count >= limit)
            {
                hasMore = true;
                break;
            }

            result.Add(entries[i]);
        }

        return result;
    }

    private async Task FollowLoopAsync(SidecarConnection connection, CancellationToken cancellationToken)
    {
        // Run on the grain's scheduler, after the calling turn has returned.
        await Task.CompletedTask.ConfigureAwait(ConfigureAwaitOptions.ContinueOnCapturedContext | ConfigureAwaitOptions.ForceYielding);
        var delay = options.ReconnectDelay;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var client = clients.Get(new SidecarEndpoint(connection.BaseAddress, connection.Token));
                var incoming = Pump(OpenAsync(client, S.SidecarSeq, cancellationToken), cancellationToken);
                while (await incoming.Reader.WaitToReadAsync(cancellationToken))
                {
                    // One grain turn per batch of whatever has arrived, and one wake-up of the readers.
                    var appended = 0;
                    while (appended < MaxAppendBatch && incoming.Reader.TryRead(out var entry))
                    {
                        Append(entry);
                        appended++;
                    }

                    SignalReaders();
                    delay = options.ReconnectDelay;
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                LogDebugStreamBroke(this.GetPrimaryKeyString(), connection.InstanceId, e.GetType().Name, e.Message);
            }

            // The stream ended or broke: is that sidecar still the workspace's?
            SidecarConnection? current;
            try
            {
                current = await Workspace.GetConnectionAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                LogDebugStreamBroke(this.GetPrimaryKeyString(), connection.InstanceId, e.GetType().Name, e.Message);
                current = connection;
            }

            if (current is null)
            {
                // Not ready (reclaimed, restoring, deleted): the workspace attaches us again when it is.
                await StopFollowingAsync(cancellationToken);
                return;
            }

            if (current != connection)
            {
                await AttachCoreAsync(current);
                return;
            }

            try
            {
                await Task.Delay(delay, time, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
        }
    }

    private async Task StopFollowingAsync(CancellationToken loopToken)
    {
        if (_following is { } f && f.Token == loopToken)
        {
            _following = null;
            _connection = null;
            // Nothing more arrives: write what is pending and let the grain be collected when idle.
            _flush?.Dispose();
            _flush = null;
            if (_dirty)
            {
                await FlushAsync(CancellationToken.None);
            }
        }
    }

    private void Append(T entry)
    {
        S.SidecarSeq = Math.Max(S.SidecarSeq, SeqOf(entry));
        var renumbered = WithSeq(entry, ++S.LastSeq);
        S.Entries.Add(renumbered);
        S.Bytes += SizeOf(renumbered);
        var evict = 0;
        var bytes = S.Bytes;
        while (S.Entries.Count - evict > MaxEntries || (bytes > MaxBytes && S.Entries.Count - evict > 1))
        {
            bytes -= SizeOf(S.Entries[evict]);
            evict++;
        }

        if (evict > 0)
        {
            S.Entries.RemoveRange(0, evict);
            S.Bytes = bytes;
            S.Dropped += evict;
        }

        _dirty = true;
    }

    private void SignalReaders()
    {
        var signal = _signal;
        _signal = NewSignal();
        signal.TrySetResult();
    }

    /// <summary>
    /// Reads the sidecar's stream on the thread pool (parsing SSE and JSON off the grain's scheduler) into a bounded
    /// channel the follow loop drains in batches. The pump touches no grain state; a stream error completes the channel
    /// with that error, which the loop then sees.
    /// </summary>
    private static Channel<T> Pump(IAsyncEnumerable<T> source, CancellationToken cancellationToken)
    {
        var channel = Channel.CreateBounded<T>(new BoundedChannelOptions(PumpCapacity) { SingleReader = true, SingleWriter = true });
        _ = Task.Run(async () =>
        {
            try
            {
                await foreach (var entry in source.WithCancellation(cancellationToken).ConfigureAwait(false))
                {
                    await channel.Writer.WriteAsync(entry, cancellationToken).ConfigureAwait(false);
                }

                channel.Writer.TryComplete();
            }
            catch (Exception e)
            {
                channel.Writer.TryComplete(e);
            }
        }, CancellationToken.None);
        return channel;
    }

    private async Task FlushTickAsync(CancellationToken cancellationToken)
    {
        if (_dirty)
        {
            await FlushAsync(cancellationToken);
        }
    }

    private async Task FlushAsync(CancellationToken cancellationToken)
    {
        _dirty = false;
        try
        {
            await state.WriteStateAsync(cancellationToken);
        }
        catch
        {
            _dirty = true;
            throw;
        }
    }

    private async Task ReattachAsync()
    {
        await Task.CompletedTask.ConfigureAwait(ConfigureAwaitOptions.ContinueOnCapturedContext | ConfigureAwaitOptions.ForceYielding);
        try
        {
            if (_following is null && await Workspace.GetConnectionAsync() is { } connection && _following is null)
            {
                await AttachCoreAsync(connection);
            }
        }
        catch (Exception e)
        {
            LogDebugStreamBroke(this.GetPrimaryKeyString(), "-", e.GetType().Name, e.Message);
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Feed {TaskId}: the stream of instance {InstanceId} ended ({ExceptionType}: {Message})")]
    private partial void LogDebugStreamBroke(string taskId, string instanceId, string exceptionType, string message);
}
