using System.Runtime.CompilerServices;
using Orleans.Runtime;
using Shadow.Grains.Abstractions.Errors;

namespace Shadow.Gateway.Streaming;

/// <summary>
/// Follows a grain feed (terminal, changes) from a seq and resumes transparently from the last seq yielded when the grain's
/// enumeration is aborted (deactivation, silo loss) or a call fails transiently, so a client sees one unbroken stream.
/// </summary>
internal sealed partial class FeedFollower(TimeProvider time, ILogger<FeedFollower> logger)
{
    private const int MaxAttemptsWithoutProgress = 6;
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(2);

    public async IAsyncEnumerable<T> FollowAsync<T>(
        string feed,
        string taskId,
        long since,
        Func<long, CancellationToken, IAsyncEnumerable<T>> open,
        Func<T, long> seqOf,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var cursor = since;
        var failures = 0;
        var backoff = FirstBackoff;
        while (!cancellationToken.IsCancellationRequested)
        {
            var ended = false;
            var enumerator = open(cursor, cancellationToken).GetAsyncEnumerator(cancellationToken);
            try
            {
                while (true)
                {
                    try
                    {
                        if (!await enumerator.MoveNextAsync())
                        {
                            ended = true;
                            break;
                        }
                    }
                    catch (Exception e) when (IsTransient(e) && !cancellationToken.IsCancellationRequested)
                    {
                        LogWarningResuming(e, feed, taskId, cursor);
                        break;
                    }

                    var item = enumerator.Current;
                    cursor = Math.Max(cursor, seqOf(item));
                    failures = 0;
                    backoff = FirstBackoff;
                    yield return item;
                }
            }
            finally
            {
                await DisposeQuietlyAsync(enumerator);
            }

            // The grain ended the feed itself (e.g. the task was archived): the client may reconnect with Last-Event-ID.
            if (ended || ++failures > MaxAttemptsWithoutProgress)
            {
                yield break;
            }

            await Task.Delay(backoff, time, cancellationToken);
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
        }
    }

    private static bool IsTransient(Exception e) =>
        e is EnumerationAbortedException or SiloUnavailableException or OrleansMessageRejectionException or TimeoutException
            or WorkspaceUnavailableException;

    private static async ValueTask DisposeQuietlyAsync<T>(IAsyncEnumerator<T> enumerator)
    {
        try
        {
            await enumerator.DisposeAsync();
        }
        catch (Exception e) when (IsTransient(e) || e is OperationCanceledException)
        {
            // The enumeration is already gone on the grain's side.
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The {Feed} feed of task {TaskId} broke off after seq {Seq}; resuming")]
    private partial void LogWarningResuming(Exception exception, string feed, string taskId, long seq);
}
