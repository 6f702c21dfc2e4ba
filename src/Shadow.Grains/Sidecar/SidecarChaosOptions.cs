using System.ComponentModel.DataAnnotations;

namespace Shadow.Grains.Sidecar;

/// <summary>
/// Shadow's "mock mode" (<c>Shadow:Runtime:Chaos:*</c>): the real client against a real sidecar, with faults and latency
/// injected by Polly's chaos strategies at the innermost point of the pipeline, so the retry and the circuit breaker see
/// them exactly as they would see real ones. Values are read on every call, so a configuration reload switches it live.
/// </summary>
public sealed class SidecarChaosOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "Shadow:Runtime:Chaos";

    /// <summary>Master switch; nothing is injected while false.</summary>
    public bool Enabled { get; set; }

    /// <summary>Share of attempts (0..1) that fail with an injected transient <see cref="HttpRequestException"/> before reaching the wire.</summary>
    [Range(0.0, 1.0, ErrorMessage = SectionName + ":FaultRate must be between 0 and 1.")]
    public double FaultRate { get; set; }

    /// <summary>Share of attempts (0..1) that are answered with an injected <c>503 Service Unavailable</c> instead of reaching the wire.</summary>
    [Range(0.0, 1.0, ErrorMessage = SectionName + ":OutcomeRate must be between 0 and 1.")]
    public double OutcomeRate { get; set; }

    /// <summary>Share of attempts (0..1) delayed by <see cref="Latency"/> before they are sent.</summary>
    [Range(0.0, 1.0, ErrorMessage = SectionName + ":LatencyRate must be between 0 and 1.")]
    public double LatencyRate { get; set; }

    /// <summary>The injected delay (counts against the attempt timeout, as a slow sidecar would).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00", ErrorMessage = SectionName + ":Latency must be between 0 and 1 hour.")]
    public TimeSpan Latency { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Every rule, including the ones across settings; each message names its setting.</summary>
    public IEnumerable<string> Validate()
    {
        var errors = new List<string>();
        CheckRate(errors, nameof(FaultRate), FaultRate);
        CheckRate(errors, nameof(OutcomeRate), OutcomeRate);
        CheckRate(errors, nameof(LatencyRate), LatencyRate);
        SidecarClientOptions.CheckRange(errors, nameof(Latency), Latency, TimeSpan.Zero, TimeSpan.FromHours(1), SectionName);
        if (LatencyRate > 0 && Latency <= TimeSpan.Zero)
        {
            errors.Add($"{SectionName}:{nameof(Latency)} must be positive when {SectionName}:{nameof(LatencyRate)} is above 0 (was {Latency}).");
        }

        return errors;
    }

    private static void CheckRate(List<string> errors, string name, double value)
    {
        if (double.IsNaN(value) || value is < 0 or > 1)
        {
            errors.Add($"{SectionName}:{name} must be between 0 and 1 (was {value.ToString(System.Globalization.CultureInfo.InvariantCulture)}).");
        }
    }
}
