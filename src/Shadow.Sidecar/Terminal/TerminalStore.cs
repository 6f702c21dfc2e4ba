using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Shadow.Sidecar.Contracts.Terminal;
using Shadow.Sidecar.Hosting;

namespace Shadow.Sidecar.Terminal;

/// <summary>
/// Keeps the terminal buffer in the state folder so it survives a restart, crash included: an append-only log of
/// segments (<c>&lt;state&gt;/terminal/&lt;first-seq&gt;.&lt;n&gt;.seg</c>). A writer loop pulls new entries from the buffer by seq
/// (like any reader, so it never slows a command down) and hands every batch to the kernel at once, so a SIGKILL loses
/// at most the last few milliseconds. Segments whose entries all left the buffer are deleted when a new one starts; a
/// clear deletes them all. Every segment starts with a watermark (the last seq so far), so seq continues after a
/// restart even when no entry survives. At start the segments are read back in order; a torn last record is ignored.
/// </summary>
internal sealed partial class TerminalStore(TerminalOptions options, SidecarOptions sidecarOptions, ILogger<TerminalStore> logger)
    : IHostedService, IDisposable
{
    private const byte EntryRecord = 1;
    private const byte WatermarkRecord = 2;
    private const int HeaderBytes = 4;
    private const int MaxRecordBytes = 64 * 1024 * 1024;

    private readonly string _directory = Path.Combine(sidecarOptions.ResolvedStateDir, "terminal");
    private readonly long _segmentMaxBytes = Math.Max(options.MaxBytes / 4, 1024 * 1024);
    private readonly int _segmentMaxEntries = Math.Max(options.MaxEntries / 4, 64);
    private readonly List<Segment> _segments = [];
    private readonly CancellationTokenSource _stop = new();
    private TerminalBuffer? _buffer;
    private Task _loop = Task.CompletedTask;
    private FileStream? _current;
    private byte[] _scratch = new byte[64 * 1024];

    public string Directory => _directory;

    /// <summary>Reads the saved segments back into <paramref name="buffer"/> (called once, before anyone uses it).</summary>
    public void Load(TerminalBuffer buffer)
    {
        _buffer = buffer;
        if (!options.Persist)
        {
            return;
        }

        System.IO.Directory.CreateDirectory(_directory);
        var restored = 0;
        foreach (var path in System.IO.Directory.GetFiles(_directory, "*.seg").Order(StringComparer.Ordinal))
        {
            try
            {
                var (entries, lastSeq, torn) = ReadSegment(path, buffer);
                restored += entries;
                _segments.Add(new Segment(path) { LastSeq = lastSeq });
                if (torn)
                {
                    LogWarningTornSegment(Path.GetFileName(path));
                }
            }
            catch (IOException e)
            {
                LogWarningUnreadableSegment(e, Path.GetFileName(path));
            }
        }

        LogInformationRestored(restored, buffer.LastSeq);
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Persist && _buffer is not null)
        {
            _loop = Task.Run(() => WriteLoopAsync(_buffer, _stop.Token), CancellationToken.None);
        }

        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public void Dispose()
    {
        _stop.Dispose();
        _current?.Dispose();
    }

    private async Task WriteLoopAsync(TerminalBuffer buffer, CancellationToken stop)
    {
        var cursor = buffer.LastSeq;
        var epoch = buffer.Read(cursor, 0).ClearEpoch;
        try
        {
            OpenSegment(cursor);
            DeleteEvicted(buffer.FirstSeq);
            while (true)
            {
                // Drain everything there is, then wait for more; on stop, one last drain and out.
                while (true)
                {
                    var page = buffer.Read(cursor, 4096, gapMarker: false);
                    if (page.ClearEpoch != epoch)
                    {
                        epoch = page.ClearEpoch;
                        StartOverAfterClear(page.Entries.Count > 0 ? page.Entries[0].Seq - 1 : page.LastSeq);
                    }

                    if (page.Entries.Count > 0)
                    {
                        Append(page.Entries);
                        if (_segments[^1].Entries >= _segmentMaxEntries || _current!.Length >= _segmentMaxBytes)
                        {
                            OpenSegment(page.Entries[^1].Seq);
                            DeleteEvicted(buffer.FirstSeq);
                        }
                    }

                    cursor = page.ScannedThrough;
                    if (!page.HasMore)
                    {
                        break;
                    }
                }

                if (stop.IsCancellationRequested)
                {
                    break;
                }

                try
                {
                    await buffer.WaitForChangeAsync(cursor, epoch, stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // Stopping: fall through to the last drain.
                }
            }

            _current?.Flush(flushToDisk: true);
            LogInformationFlushed(cursor);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LogErrorWriteFailed(e, _directory);
        }
        finally
        {
            _current?.Dispose();
            _current = null;
        }
    }

    private void Append(List<TerminalEntry> entries)
    {
        var segment = _segments[^1];
        foreach (var entry in entries)
        {
            var commandId = entry.CommandId ?? string.Empty;
            var size = HeaderBytes + 1 + 8 + 8 + 1 + 4 + Encoding.UTF8.GetMaxByteCount(commandId.Length) + 4 + Encoding.UTF8.GetMaxByteCount(entry.Text.Length);
            if (_scratch.Length < size)
            {
                _scratch = new byte[Math.Max(size, _scratch.Length * 2)];
            }

            var span = _scratch.AsSpan();
            var at = HeaderBytes;
            span[at++] = EntryRecord;
            BinaryPrimitives.WriteInt64LittleEndian(span[at..], entry.Seq);
            at += 8;
            BinaryPrimitives.WriteInt64LittleEndian(span[at..], entry.Timestamp.UtcTicks);
            at += 8;
            span[at++] = (byte)entry.Stream;
            at += WriteString(span[at..], commandId);
            at += WriteString(span[at..], entry.Text);
            BinaryPrimitives.WriteInt32LittleEndian(span, at - HeaderBytes);
            _current!.Write(span[..at]);
            segment.Entries++;
            segment.LastSeq = entry.Seq;
        }

        // Into the kernel now: a crash of the sidecar after this line loses nothing of this batch.
        _current!.Flush(flushToDisk: false);
    }

    private void WriteWatermark(long seq)
    {
        Span<byte> record = stackalloc byte[HeaderBytes + 1 + 8];
        BinaryPrimitives.WriteInt32LittleEndian(record, 1 + 8);
        record[HeaderBytes] = WatermarkRecord;
        BinaryPrimitives.WriteInt64LittleEndian(record[(HeaderBytes + 1)..], seq);
        _current!.Write(record);
        _current.Flush(flushToDisk: false);
    }

    private void OpenSegment(long lastSeqSoFar)
    {
        if (_current is not null)
        {
            _current.Flush(flushToDisk: true);
            _current.Dispose();
        }

        var prefix = (lastSeqSoFar + 1).ToString("D20", CultureInfo.InvariantCulture);
        string path;
        var n = 0;
        do
        {
            path = Path.Combine(_directory, $"{prefix}.{n++:D4}.seg");
        }
        while (File.Exists(path));

        _current = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read, 64 * 1024);
        _segments.Add(new Segment(path) { LastSeq = lastSeqSoFar });
        WriteWatermark(lastSeqSoFar);
    }

    private void StartOverAfterClear(long watermark)
    {
        _current?.Dispose();
        _current = null;
        foreach (var segment in _segments)
        {
            TryDelete(segment.Path);
        }

        _segments.Clear();
        OpenSegment(watermark);
    }

    // A segment all of whose entries have left the buffer is useless; the newest one always stays (it holds the watermark).
    private void DeleteEvicted(long firstSeq)
    {
        for (var i = _segments.Count - 2; i >= 0; i--)
        {
            if (_segments[i].LastSeq < firstSeq)
            {
                TryDelete(_segments[i].Path);
                _segments.RemoveAt(i);
            }
        }
    }

    private void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LogWarningDeleteFailed(e, Path.GetFileName(path));
        }
    }

    private static int WriteString(Span<byte> destination, string value)
    {
        var written = Encoding.UTF8.GetBytes(value, destination[4..]);
        BinaryPrimitives.WriteInt32LittleEndian(destination, written);
        return 4 + written;
    }

    private static (int Entries, long LastSeq, bool Torn) ReadSegment(string path, TerminalBuffer buffer)
    {
        var bytes = File.ReadAllBytes(path);
        var span = bytes.AsSpan();
        var entries = 0;
        long lastSeq = 0;
        var at = 0;
        while (at < span.Length)
        {
            if (span.Length - at < HeaderBytes)
            {
                return (entries, lastSeq, true);
            }

            var length = BinaryPrimitives.ReadInt32LittleEndian(span[at..]);
            if (length < 9 || length > MaxRecordBytes || span.Length - at - HeaderBytes < length)
            {
                return (entries, lastSeq, true);
            }

            var record = span.Slice(at + HeaderBytes, length);
            at += HeaderBytes + length;
            var seq = BinaryPrimitives.ReadInt64LittleEndian(record[1..]);
            switch (record[0])
            {
                case WatermarkRecord:
                    buffer.RestoreWatermark(seq);
                    lastSeq = Math.Max(lastSeq, seq);
                    break;
                case EntryRecord when TryParseEntry(record, seq, out var entry, out var byteCount):
                    buffer.Restore(entry, byteCount);
                    lastSeq = Math.Max(lastSeq, seq);
                    entries++;
                    break;
                default:
                    return (entries, lastSeq, true);
            }
        }

        return (entries, lastSeq, false);
    }

    private static bool TryParseEntry(ReadOnlySpan<byte> record, long seq, out TerminalEntry entry, out int byteCount)
    {
        entry = null!;
        byteCount = 0;
        if (record.Length < 1 + 8 + 8 + 1 + 4 + 4)
        {
            return false;
        }

        var ticks = BinaryPrimitives.ReadInt64LittleEndian(record[9..]);
        var stream = record[17];
        var at = 18;
        if (ticks < DateTimeOffset.MinValue.UtcTicks || ticks > DateTimeOffset.MaxValue.UtcTicks || stream > (byte)TerminalStream.Gap
            || !TryReadString(record, ref at, out var commandId, out _) || !TryReadString(record, ref at, out var text, out byteCount))
        {
            return false;
        }

        entry = new TerminalEntry(seq, new DateTimeOffset(ticks, TimeSpan.Zero), commandId.Length == 0 ? null : commandId, (TerminalStream)stream, text);
        return true;
    }

    private static bool TryReadString(ReadOnlySpan<byte> record, ref int at, out string value, out int byteCount)
    {
        value = string.Empty;
        byteCount = 0;
        if (record.Length - at < 4)
        {
            return false;
        }

        byteCount = BinaryPrimitives.ReadInt32LittleEndian(record[at..]);
        at += 4;
        if (byteCount < 0 || record.Length - at < byteCount)
        {
            return false;
        }

        value = Encoding.UTF8.GetString(record.Slice(at, byteCount));
        at += byteCount;
        return true;
    }

    private sealed class Segment(string path)
    {
        public string Path { get; } = path;

        public long LastSeq { get; set; }

        public int Entries { get; set; }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Terminal buffer restored: {Entries} entries read back, last seq {LastSeq}")]
    private partial void LogInformationRestored(int entries, long lastSeq);

    [LoggerMessage(Level = LogLevel.Information, Message = "Terminal buffer flushed through seq {Seq}")]
    private partial void LogInformationFlushed(long seq);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Terminal segment {Segment} ends in a torn record (the sidecar was killed while writing); the rest of it is ignored")]
    private partial void LogWarningTornSegment(string segment);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Terminal segment {Segment} cannot be read; skipped")]
    private partial void LogWarningUnreadableSegment(Exception exception, string segment);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Terminal segment {Segment} cannot be deleted")]
    private partial void LogWarningDeleteFailed(Exception exception, string segment);

    [LoggerMessage(Level = LogLevel.Error, Message = "Writing the terminal buffer to {Directory} failed; it will not survive a restart")]
    private partial void LogErrorWriteFailed(Exception exception, string directory);
}
