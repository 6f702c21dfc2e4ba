using System.ComponentModel.DataAnnotations;

namespace Shadow.Grains.Sidecar;

/// <summary>How the one sidecar client retries, times out and breaks (<c>Shadow:Sidecar:Client:*</c>).</summary>
public sealed class SidecarClientOptions
{
    public const string SectionName = "Shadow:Sidecar:Client";

    /// <summary>Timeout of one attempt. Long commands set their own, larger, timeout per call.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Retries of an idempotent call after the first attempt.</summary>
    [Range(0, 10)]
    public int MaxRetryAttempts { get; set; } = 3;

    /// <summary>Base of the jittered exponential backoff.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Share of failed calls in the sampling window that opens the breaker.</summary>
    [Range(0.01, 1.0)]
    public double BreakerFailureRatio { get; set; } = 0.5;

    /// <summary>Calls in the window before the breaker may open.</summary>
    [Range(2, 10_000)]
    public int BreakerMinimumThroughput { get; set; } = 10;

    /// <summary>The breaker's sampling window.</summary>
    [Range(typeof(TimeSpan), "00:00:00.500", "01:00:00")]
    public TimeSpan BreakerSamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an open breaker refuses calls before it lets one through.</summary>
    [Range(typeof(TimeSpan), "00:00:00.500", "01:00:00")]
    public TimeSpan BreakerBreakDuration { get; set; } = TimeSpan.FromSeconds(5);
}
