namespace Shadow.Sidecar.Search;

/// <summary>Settings of the Search feature (<c>Sidecar:Search:*</c>).</summary>
internal sealed class SearchOptions
{
    /// <summary>Most files one search walks (fuzzy and grep); beyond it the answer is <c>truncated</c>. Default 100,000.</summary>
    public int MaxWalkFiles { get; set; } = 100_000;

    /// <summary>Fuzzy matches returned when the caller names no <c>limit</c>. Default 50.</summary>
    public int DefaultFileResults { get; set; } = 50;

    /// <summary>Ceiling for the fuzzy search's <c>limit</c>. Default 1,000.</summary>
    public int MaxFileResults { get; set; } = 1_000;

    /// <summary>Matching lines grep returns when the caller names no <c>maxResults</c>. Default 500.</summary>
    public int DefaultGrepResults { get; set; } = 500;

    /// <summary>Ceiling for grep's <c>maxResults</c>. Default 10,000.</summary>
    public int MaxGrepResults { get; set; } = 10_000;

    /// <summary>Regex time budget per file in milliseconds; a file that exceeds it is reported in <c>skipped</c>. Default 1,000.</summary>
    public int GrepTimeoutMillisecondsPerFile { get; set; } = 1_000;

    /// <summary>Files larger than this are not grepped (reported in <c>skipped</c>). Default 10 MiB.</summary>
    public long MaxGrepFileBytes { get; set; } = 10L * 1024 * 1024;

    /// <summary>Longest line text grep returns; longer lines are clipped around the match. Default 400 characters.</summary>
    public int MaxLineLength { get; set; } = 400;

    public IEnumerable<string> Validate()
    {
        if (MaxWalkFiles < 1)
        {
            yield return "Sidecar:Search:MaxWalkFiles must be at least 1.";
        }

        if (DefaultFileResults < 1 || DefaultFileResults > MaxFileResults)
        {
            yield return "Sidecar:Search:DefaultFileResults must be between 1 and Sidecar:Search:MaxFileResults.";
        }

        if (DefaultGrepResults < 1 || DefaultGrepResults > MaxGrepResults)
        {
            yield return "Sidecar:Search:DefaultGrepResults must be between 1 and Sidecar:Search:MaxGrepResults.";
        }

        if (GrepTimeoutMillisecondsPerFile < 1)
        {
            yield return "Sidecar:Search:GrepTimeoutMillisecondsPerFile must be at least 1.";
        }

        if (MaxGrepFileBytes < 1 || MaxGrepFileBytes > int.MaxValue / 4)
        {
            yield return $"Sidecar:Search:MaxGrepFileBytes must be between 1 and {int.MaxValue / 4}.";
        }

        if (MaxLineLength < 16)
        {
            yield return "Sidecar:Search:MaxLineLength must be at least 16.";
        }
    }
}
