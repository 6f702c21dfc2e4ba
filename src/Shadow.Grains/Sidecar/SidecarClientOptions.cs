using System.ComponentModel.DataAnnotations;

namespace Shadow.Grains.Sidecar;

/// <summary>How the one sidecar client times out, retries and breaks (<c>Shadow:Sidecar:Client:*</c>).</summary>
public sealed class SidecarClientOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "Shadow:Sidecar:Client";

    /// <summary>Timeout of one attempt. Long operations (exec with its own timeout) pass a larger one per call.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "1.00:00:00", ErrorMessage = SectionName + ":AttemptTimeout must be between 10 ms and 1 day.")]
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Retries of an idempotent call after its first attempt (0 turns retrying off).</summary>
    [Range(0, 20, ErrorMessage = SectionName + ":MaxRetryAttempts must be between 0 and 20.")]
    public int MaxRetryAttempts { get; set; } = 3;

    /// <summary>Base of the jittered exponential backoff between retries.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00", ErrorMessage = SectionName + ":RetryBaseDelay must be between 0 and 1 minute.")]
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Upper bound of one backoff delay.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00", ErrorMessage = SectionName + ":RetryMaxDelay must be between 0 and 10 minutes.")]
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The longest <c>Retry-After</c> (on 429/503) the client waits for before retrying; a sidecar asking for longer gets
    /// its answer passed to the caller instead of a retry.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00", ErrorMessage = SectionName + ":MaxRetryAfter must be between 0 and 10 minutes.")]
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Share of failed calls in the sampling window that opens the breaker.</summary>
    [Range(0.01, 1.0, ErrorMessage = SectionName + ":BreakerFailureRatio must be between 0.01 and 1.")]
    public double BreakerFailureRatio { get; set; } = 0.5;

    /// <summary>Calls in the window before the breaker may open.</summary>
    [Range(2, 10_000, ErrorMessage = SectionName + ":BreakerMinimumThroughput must be between 2 and 10000.")]
    public int BreakerMinimumThroughput { get; set; } = 10;

    /// <summary>The breaker's sampling window.</summary>
    [Range(typeof(TimeSpan), "00:00:00.500", "01:00:00", ErrorMessage = SectionName + ":BreakerSamplingDuration must be between 500 ms and 1 hour.")]
    public TimeSpan BreakerSamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an open breaker refuses calls before it lets one probe through (half-open).</summary>
    [Range(typeof(TimeSpan), "00:00:00.500", "01:00:00", ErrorMessage = SectionName + ":BreakerBreakDuration must be between 500 ms and 1 hour.")]
    public TimeSpan BreakerBreakDuration { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>TCP connect timeout of the shared connection pool (a vanished pod must not hold a call for long).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00", ErrorMessage = SectionName + ":ConnectTimeout must be between 100 ms and 5 minutes.")]
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a pooled connection is reused before it is replaced (picks up address changes).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00", ErrorMessage = SectionName + ":PooledConnectionLifetime must be between 1 second and 1 day.")]
    public TimeSpan PooledConnectionLifetime { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Every rule, including the ones across settings; each message names its setting.</summary>
    public IEnumerable<string> Validate()
    {
        var errors = new List<string>();
        CheckRange(errors, nameof(AttemptTimeout), AttemptTimeout, TimeSpan.FromMilliseconds(10), TimeSpan.FromDays(1));
        if (MaxRetryAttempts is < 0 or > 20)
        {
            errors.Add($"{SectionName}:{nameof(MaxRetryAttempts)} must be between 0 and 20 (was {MaxRetryAttempts}).");
        }

        CheckRange(errors, nameof(RetryBaseDelay), RetryBaseDelay, TimeSpan.Zero, TimeSpan.FromMinutes(1));
        CheckRange(errors, nameof(RetryMaxDelay), RetryMaxDelay, TimeSpan.Zero, TimeSpan.FromMinutes(10));
        CheckRange(errors, nameof(MaxRetryAfter), MaxRetryAfter, TimeSpan.Zero, TimeSpan.FromMinutes(10));
        if (RetryMaxDelay < RetryBaseDelay)
        {
            errors.Add($"{SectionName}:{nameof(RetryMaxDelay)} ({RetryMaxDelay}) must not be below {SectionName}:{nameof(RetryBaseDelay)} ({RetryBaseDelay}).");
        }

        if (double.IsNaN(BreakerFailureRatio) || BreakerFailureRatio is < 0.01 or > 1.0)
        {
            errors.Add($"{SectionName}:{nameof(BreakerFailureRatio)} must be between 0.01 and 1 (was {BreakerFailureRatio}).");
        }

        if (BreakerMinimumThroughput is < 2 or > 10_000)
        {
            errors.Add($"{SectionName}:{nameof(BreakerMinimumThroughput)} must be between 2 and 10000 (was {BreakerMinimumThroughput}).");
        }

        CheckRange(errors, nameof(BreakerSamplingDuration), BreakerSamplingDuration, TimeSpan.FromMilliseconds(500), TimeSpan.FromHours(1));
        CheckRange(errors, nameof(BreakerBreakDuration), BreakerBreakDuration, TimeSpan.FromMilliseconds(500), TimeSpan.FromHours(1));
        CheckRange(errors, nameof(ConnectTimeout), ConnectTimeout, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(5));
        CheckRange(errors, nameof(PooledConnectionLifetime), PooledConnectionLifetime, TimeSpan.FromSeconds(1), TimeSpan.FromDays(1));
        return errors;
    }

    internal static void CheckRange(List<string> errors, string name, TimeSpan value, TimeSpan min, TimeSpan max, string section = SectionName)
    {
        if (value < min || value > max)
        {
            errors.Add($"{section}:{name} must be between {min} and {max} (was {value}).");
        }
    }
}
