using System.Globalization;

namespace Shadow.Gateway.Streaming;

/// <summary>Where an SSE client resumes: the <c>Last-Event-ID</c> header wins over <c>?since=</c>; 0 replays everything held.</summary>
internal static class ResumePoint
{
    public const string LastEventIdHeader = "Last-Event-ID";

    public static long From(HttpRequest request, long? since)
    {
        string? header = request.Headers[LastEventIdHeader];
        if (!string.IsNullOrEmpty(header))
        {
            return long.TryParse(header, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed)
                ? parsed
                : throw new BadHttpRequestException($"The {LastEventIdHeader} header must be a seq (a non-negative integer); got '{header}'.");
        }

        return Since(since);
    }

    public static long Since(long? since) =>
        since is null or >= 0 ? since ?? 0 : throw new BadHttpRequestException($"'since' must be a seq, 0 or more (is {since}).");
}
