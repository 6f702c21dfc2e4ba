using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Shadow.Sidecar.Contracts.Watch;

namespace Shadow.Sidecar.Watch;

/// <summary>
/// The bounded, in-memory record of watch events (oldest evicted first) and its live readers. Appending never blocks:
/// each reader has a bounded queue; a reader that falls behind is marked and, once it drained its queue, resumes from the
/// buffer (or gets a <see cref="WatchEventKind.Gap"/> marker when what it missed was already evicted).
/// </summary>
internal sealed class WatchEventLog(int capacity, int subscriberQueueSize, TimeProvider time)
{
    private readonly Lock _lock = new();
    private readonly WatchEvent[] _ring = new WatchEvent[capacity];
    private readonly List<Subscriber> _subscribers = [];
    private int _start;
    private int _count;
    private long _lastSeq;

    public long LastSeq
    {
        get
        {
            lock (_lock)
            {
                return _lastSeq;
            }
        }
    }

    public (int Count, long? OldestSeq) Stats()
    {
        lock (_lock)
        {
            return (_count, _count > 0 ? _ring[_start].Seq : null);
        }
    }

    public WatchEvent Append(WatchEventKind kind, string path, string? oldPath)
    {
        lock (_lock)
        {
            var item = new WatchEvent(++_lastSeq, kind, path, oldPath, time.GetUtcNow());
            if (_count == _ring.Length)
            {
                _ring[_start] = item;
                _start = (_start + 1) % _ring.Length;
            }
            else
            {
                _ring[(_start + _count) % _ring.Length] = item;
                _count++;
            }

            foreach (var subscriber in _subscribers)
            {
                if (!subscriber.Overflowed && !subscriber.Queue.Writer.TryWrite(item))
                {
                    subscriber.Overflowed = true;
                }
            }

            return item;
        }
    }

    /// <summary>Events after <paramref name="since"/> (at most <paramref name="limit"/>); <c>Gap</c> when some were evicted
    /// (or <paramref name="since"/> is from before a restart, i.e. beyond the last seq).</summary>
    public (List<WatchEvent> Events, long LastSeq, bool Gap) Since(long since, int limit)
    {
        lock (_lock)
        {
            var (events, gap, _) = SnapshotUnlocked(since, limit);
            return (events, _lastSeq, gap);
        }
    }

    /// <summary>Replays what came after <paramref name="lastEventId"/> (null: nothing, live only), then follows live.</summary>
    public async IAsyncEnumerable<WatchEvent> SubscribeAsync(long? lastEventId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var subscriber = new Subscriber(subscriberQueueSize);
        List<WatchEvent> replay;
        bool gap;
        long gapSeq;
        long sent;
        lock (_lock)
        {
            _subscribers.Add(subscriber);
            sent = lastEventId ?? _lastSeq;
            (replay, gap, gapSeq) = SnapshotUnlocked(sent, int.MaxValue);
        }

        try
        {
            while (true)
            {
                if (gap)
                {
                    yield return new WatchEvent(gapSeq, WatchEventKind.Gap, string.Empty, null, time.GetUtcNow());
                    sent = gapSeq;
                }

                foreach (var item in replay)
                {
                    yield return item;
                    sent = item.Seq;
                }

                while (subscriber.Queue.Reader.TryRead(out var item))
                {
                    if (item.Seq > sent)
                    {
                        yield return item;
                        sent = item.Seq;
                    }
                }

                lock (_lock)
                {
                    if (subscriber.Overflowed)
                    {
                        // Fell behind: everything it missed is in the buffer unless evicted; resume from there.
                        while (subscriber.Queue.Reader.TryRead(out _))
                        {
                        }

                        subscriber.Overflowed = false;
                        (replay, gap, gapSeq) = SnapshotUnlocked(sent, int.MaxValue);
                        continue;
                    }
                }

                replay = [];
                gap = false;
                if (!await subscriber.Queue.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    yield break;
                }
            }
        }
        finally
        {
            lock (_lock)
            {
                _subscribers.Remove(subscriber);
            }
        }
    }

    private (List<WatchEvent> Events, bool Gap, long GapSeq) SnapshotUnlocked(long since, int limit)
    {
        var oldest = _count > 0 ? _ring[_start].Seq : _lastSeq + 1;
        var gap = false;
        if (since > _lastSeq)
        {
            // A seq from an earlier run of the sidecar: start over.
            gap = true;
            since = 0;
        }

        if (since < oldest - 1)
        {
            gap = true;
            since = oldest - 1;
        }

        var first = (int)(since - oldest + 1);
        var take = Math.Min(_count - first, limit);
        var events = new List<WatchEvent>(Math.Max(take, 0));
        for (var i = 0; i < take; i++)
        {
            events.Add(_ring[(_start + first + i) % _ring.Length]);
        }

        return (events, gap, since);
    }

    private sealed class Subscriber(int size)
    {
        public Channel<WatchEvent> Queue { get; } = Channel.CreateBounded<WatchEvent>(
            new BoundedChannelOptions(size) { SingleReader = true, SingleWriter = false, FullMode = BoundedChannelFullMode.Wait });

        /// <summary>Guarded by the log's lock.</summary>
        public bool Overflowed { get; set; }
    }
}
