using System.Buffers;
using System.Buffers.Text;
using System.Diagnostics;
using System.Text;

namespace Shadow.Bench.Gateway;

/// <summary>
/// Reads a server-sent-event stream without decoding its JSON: counts raw bytes, <c>data:</c> bytes, events and gap
/// events (with the entries they say were dropped), and stops at a marker in a data line or after N non-gap events.
/// Cheap on purpose: the load generator shares the cores with the gateway.
/// </summary>
internal sealed class SseCounter
{
    private static readonly byte[] DataPrefix = "data:"u8.ToArray();
    private static readonly byte[] EventPrefix = "event:"u8.ToArray();
    private static readonly byte[] DroppedKey = "\"dropped\":"u8.ToArray();

    private readonly byte[]? _marker;
    private readonly long _stopAfterEvents;
    private readonly ArrayBufferWriter<byte> _carry = new(64 * 1024);
    private bool _currentIsGap;
    private long _currentDropped;

    private SseCounter(byte[]? marker, long stopAfterEvents)
    {
        _marker = marker;
        _stopAfterEvents = stopAfterEvents;
    }

    public long RawBytes { get; private set; }

    public long DataBytes { get; private set; }

    /// <summary>Events other than gap markers.</summary>
    public long Events { get; private set; }

    public long Gaps { get; private set; }

    public long DroppedEntries { get; private set; }

    /// <summary>When the request was sent (<see cref="Stopwatch.GetTimestamp"/>).</summary>
    public long SentAt { get; private set; }

    /// <summary>When the response headers arrived.</summary>
    public long HeadersAt { get; private set; }

    /// <summary>When the marker was seen, or the N-th event arrived; 0 when neither happened.</summary>
    public long DoneAt { get; private set; }

    public bool Done => DoneAt != 0;

    /// <summary>
    /// Sends <paramref name="request"/>, calls <paramref name="onHeaders"/> (in the background) once the headers are in,
    /// and reads until the marker, N events, or <paramref name="timeout"/> (then <see cref="Done"/> is false).
    /// </summary>
    public static async Task<SseCounter> ReadAsync(HttpClient http, HttpRequestMessage request, string? marker, long stopAfterEvents,
        Func<Task>? onHeaders, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var counter = new SseCounter(marker is null ? null : Encoding.UTF8.GetBytes(marker), stopAfterEvents);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        counter.SentAt = Stopwatch.GetTimestamp();
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new BenchException($"{request.RequestUri} answered {(int)response.StatusCode}: " +
                ApiClient.Truncate(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)));
        }

        counter.HeadersAt = Stopwatch.GetTimestamp();
        var started = onHeaders?.Invoke() ?? Task.CompletedTask;
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var buffer = new byte[256 * 1024];
            try
            {
                int read;
                while (!counter.Done && (read = await stream.ReadAsync(buffer, deadline.Token).ConfigureAwait(false)) > 0)
                {
                    counter.Feed(buffer.AsSpan(0, read));
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // Timed out: the caller sees Done == false and the counts so far.
            }
        }

        await started.ConfigureAwait(false);
        return counter;
    }

    private void Feed(ReadOnlySpan<byte> chunk)
    {
        RawBytes += chunk.Length;
        int newline;
        while (!Done && (newline = chunk.IndexOf((byte)'\n')) >= 0)
        {
            if (_carry.WrittenCount > 0)
            {
                _carry.Write(chunk[..newline]);
                Line(_carry.WrittenSpan);
                _carry.ResetWrittenCount();
            }
            else
            {
                Line(chunk[..newline]);
            }

            chunk = chunk[(newline + 1)..];
        }

        if (!Done && chunk.Length > 0)
        {
            _carry.Write(chunk);
        }
    }

    private void Line(ReadOnlySpan<byte> line)
    {
        if (line.IsEmpty)
        {
            // End of an event.
            if (_currentIsGap)
            {
                Gaps++;
                DroppedEntries += _currentDropped;
            }
            else
            {
                Events++;
                if (_stopAfterEvents > 0 && Events >= _stopAfterEvents)
                {
                    DoneAt = Stopwatch.GetTimestamp();
                }
            }

            _currentIsGap = false;
            _currentDropped = 0;
            return;
        }

        if (line.StartsWith(DataPrefix))
        {
            DataBytes += line.Length - DataPrefix.Length;
            if (_marker is not null && line.IndexOf(_marker) >= 0)
            {
                DoneAt = Stopwatch.GetTimestamp();
            }

            var key = line.IndexOf(DroppedKey);
            if (key >= 0 && Utf8Parser.TryParse(line[(key + DroppedKey.Length)..], out long dropped, out _))
            {
                _currentDropped = dropped;
            }
        }
        else if (line.StartsWith(EventPrefix))
        {
            _currentIsGap = line[EventPrefix.Length..].Trim((byte)' ').SequenceEqual("gap"u8);
        }
    }
}
