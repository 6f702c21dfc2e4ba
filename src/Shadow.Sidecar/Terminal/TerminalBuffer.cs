using System.Text;
using Shadow.Sidecar.Contracts.Terminal;

namespace Shadow.Sidecar.Terminal;

/// <summary>
/// The one terminal buffer every command writes into: a ring of immutable entries bounded by count and by bytes, whichever
/// is hit first. Appending takes a short lock (no I/O, no waiting) and wakes readers; readers copy a slice of entry
/// references under the lock and do their I/O outside it. Nobody is pushed to: SSE subscribers and the persistence writer
/// pull by seq, so a stalled reader never slows a producer — it just finds a gap marker when it comes back too late.
/// </summary>
internal sealed class TerminalBuffer
{
    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private readonly TerminalEntry[] _ring;
    private readonly int[] _sizes;
    private readonly long _maxBytes;
    private int _head;
    private int _count;
    private long _bytes;
    private long _lastSeq;
    private long _droppedTotal;
    private long _clearEpoch;
    private TaskCompletionSource _changed = NewSignal();
    private bool _anyoneWaiting;

    public TerminalBuffer(TerminalOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _time = time;
        _ring = new TerminalEntry[options.MaxEntries];
        _sizes = new int[options.MaxEntries];
        _maxBytes = options.MaxBytes;
    }

    public int Capacity => _ring.Length;

    public long MaxBytes => _maxBytes;

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

    /// <summary>Appends one entry with the next seq and wakes every waiting reader.</summary>
    public TerminalEntry Append(string? commandId, TerminalStream stream, string text, int byteCount = -1)
    {
        if (byteCount < 0)
        {
            byteCount = Encoding.UTF8.GetByteCount(text);
        }

        var now = _time.GetUtcNow();
        TerminalEntry entry;
        TaskCompletionSource? wake = null;
        lock (_lock)
        {
            entry = new TerminalEntry(++_lastSeq, now, commandId, stream, text);
            _droppedTotal += Put(entry, byteCount);
            if (_anyoneWaiting)
            {
                wake = _changed;
                _changed = NewSignal();
                _anyoneWaiting = false;
            }
        }

        wake?.TrySetResult();
        return entry;
    }

    /// <summary>Puts back an entry read from the state folder at start (its seq must be larger than every seq so far).</summary>
    public void Restore(TerminalEntry entry, int byteCount)
    {
        lock (_lock)
        {
            if (entry.Seq <= _lastSeq)
            {
                return;
            }

            _lastSeq = entry.Seq;
            Put(entry, byteCount);
        }
    }

    /// <summary>Moves the seq counter forward (a watermark from the state folder), so seq continues after a restart.</summary>
    public void RestoreWatermark(long seq)
    {
        lock (_lock)
        {
            _lastSeq = Math.Max(_lastSeq, seq);
        }
    }

    /// <summary>
    /// Entries with seq greater than <paramref name="since"/>, oldest first, at most <paramref name="limit"/> (a leading gap
    /// marker counts as one). <paramref name="filter"/> selects entries without counting the ones it skips.
    /// </summary>
    public TerminalPage Read(long since, int limit, Func<TerminalEntry, bool>? filter = null, bool gapMarker = true)
    {
        var entries = new List<TerminalEntry>(Math.Min(limit, 1024));
        lock (_lock)
        {
            // A cursor from the future (state folder lost) would wait forever: continue from the newest entry instead.
            since = Math.Min(since, _lastSeq);
            var firstSeq = _count == 0 ? _lastSeq + 1 : _ring[_head].Seq;
            var scannedThrough = since;
            if (since < firstSeq - 1 && limit > 0)
            {
                var lost = firstSeq - 1 - Math.Max(since, 0);
                if (gapMarker && lost > 0)
                {
                    var now = _time.GetUtcNow();
                    entries.Add(new TerminalEntry(firstSeq - 1, now, null, TerminalStream.Gap,
                        $"{lost} entr{(lost == 1 ? "y" : "ies")} left the terminal buffer (evicted or cleared) before it could be read.", lost));
                }

                scannedThrough = firstSeq - 1;
            }

            var index = IndexAfter(scannedThrough);
            var hasMore = false;
            for (; index < _count; index++)
            {
                var entry = _ring[(_head + index) % _ring.Length];
                if (entries.Count >= limit)
                {
                    hasMore = true;
                    break;
                }

                scannedThrough = entry.Seq;
                if (filter is null || filter(entry))
                {
                    entries.Add(entry);
                }
            }

            return new TerminalPage(entries, Math.Max(scannedThrough, since), _lastSeq, hasMore, _clearEpoch);
        }
    }

    /// <summary>Completes when an entry with seq greater than <paramref name="afterSeq"/> exists or the buffer is cleared.</summary>
    public Task WaitForChangeAsync(long afterSeq, long clearEpoch, CancellationToken cancellationToken)
    {
        Task signal;
        lock (_lock)
        {
            if (_lastSeq > afterSeq || _clearEpoch != clearEpoch)
            {
                return Task.CompletedTask;
            }

            _anyoneWaiting = true;
            signal = _changed.Task;
        }

        return signal.WaitAsync(cancellationToken);
    }

    public TerminalStatsResponse Stats()
    {
        lock (_lock)
        {
            var firstSeq = _count == 0 ? _lastSeq + 1 : _ring[_head].Seq;
            return new TerminalStatsResponse(_count, _bytes, firstSeq, _lastSeq, _droppedTotal, _ring.Length, _maxBytes);
        }
    }

    /// <summary>Seq of the oldest entry kept, or <c>LastSeq + 1</c> when empty.</summary>
    public long FirstSeq
    {
        get
        {
            lock (_lock)
            {
                return _count == 0 ? _lastSeq + 1 : _ring[_head].Seq;
            }
        }
    }

    /// <summary>Removes every entry; seq goes on from where it was.</summary>
    public TerminalClearResponse Clear()
    {
        TaskCompletionSource wake;
        int cleared;
        long last;
        lock (_lock)
        {
            cleared = _count;
            Array.Clear(_ring);
            _head = 0;
            _count = 0;
            _bytes = 0;
            _clearEpoch++;
            last = _lastSeq;
            wake = _changed;
            _changed = NewSignal();
            _anyoneWaiting = false;
        }

        wake.TrySetResult();
        return new TerminalClearResponse(cleared, last);
    }

    private long Put(TerminalEntry entry, int byteCount)
    {
        long dropped = 0;
        while (_count > 0 && (_count == _ring.Length || _bytes + byteCount > _maxBytes))
        {
            _bytes -= _sizes[_head];
            _ring[_head] = null!;
            _head = (_head + 1) % _ring.Length;
            _count--;
            dropped++;
        }

        var tail = (_head + _count) % _ring.Length;
        _ring[tail] = entry;
        _sizes[tail] = byteCount;
        _count++;
        _bytes += byteCount;
        return dropped;
    }

    // Index (0 = oldest) of the first entry with seq > since; seqs are increasing, so binary search.
    private int IndexAfter(long since)
    {
        int lo = 0, hi = _count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (_ring[(_head + mid) % _ring.Length].Seq <= since)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>A slice of the buffer.</summary>
/// <param name="Entries">The entries (and a leading gap marker, if any).</param>
/// <param name="ScannedThrough">The seq up to which the buffer was looked at; the next read continues after it.</param>
/// <param name="LastSeq">The newest seq when the slice was taken.</param>
/// <param name="HasMore">Whether the slice was cut by its limit.</param>
/// <param name="ClearEpoch">How many clears happened before; a reader that sees it change knows a clear happened.</param>
internal sealed record TerminalPage(List<TerminalEntry> Entries, long ScannedThrough, long LastSeq, bool HasMore, long ClearEpoch);
