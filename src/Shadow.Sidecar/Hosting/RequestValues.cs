using System.Globalization;

namespace Shadow.Sidecar.Hosting;

/// <summary>
/// Query and header values parsed by hand rather than by binding, so that a bad value answers 400 with a detail that
/// names the parameter (the generated binder only sets the status).
/// </summary>
internal static class RequestValues
{
    public static int? ParseInt(string? value, string name) =>
        string.IsNullOrEmpty(value) ? null
        : int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed) ? parsed
        : throw SidecarException.BadRequest($"'{name}' must be an integer; got '{value}'.");

    public static long? ParseLong(string? value, string name) =>
        string.IsNullOrEmpty(value) ? null
        : long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed) ? parsed
        : throw SidecarException.BadRequest($"'{name}' must be an integer; got '{value}'.");

    public static bool? ParseBool(string? value, string name) =>
        string.IsNullOrEmpty(value) ? null
        : bool.TryParse(value, out var parsed) ? parsed
        : throw SidecarException.BadRequest($"'{name}' must be true or false; got '{value}'.");

    /// <summary>The seq an SSE client resumes after: the <c>Last-Event-ID</c> header wins over <c>?since=</c>; null when neither is given.</summary>
    public static long? ResumeAfter(string? lastEventIdHeader, long? since)
    {
        if (!string.IsNullOrEmpty(lastEventIdHeader))
        {
            return long.TryParse(lastEventIdHeader, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed)
                ? parsed
                : throw SidecarException.BadRequest($"The Last-Event-ID header must be a seq (a non-negative integer); got '{lastEventIdHeader}'.");
        }

        return since is null ? null : Since(since);
    }

    /// <summary>A <c>since</c> cursor: 0 when absent, 400 when negative.</summary>
    public static long Since(long? since) =>
        since is null or >= 0 ? since ?? 0 : throw SidecarException.BadRequest($"'since' must be a seq, 0 or more (is {since}).");
}
