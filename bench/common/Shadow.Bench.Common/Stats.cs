using System.Diagnostics;

namespace Shadow.Bench.Common;

/// <summary>Latency distribution in milliseconds (nearest-rank percentiles).</summary>
public sealed record Stats(int Count, double MeanMs, double P50Ms, double P90Ms, double P99Ms, double MaxMs)
{
    /// <summary>From <see cref="Stopwatch.GetTimestamp"/> differences; sorts <paramref name="ticks"/> in place.</summary>
    public static Stats FromTicks(long[] ticks)
    {
        ArgumentNullException.ThrowIfNull(ticks);
        if (ticks.Length == 0)
        {
            return new Stats(0, 0, 0, 0, 0, 0);
        }

        Array.Sort(ticks);
        var toMs = 1000.0 / Stopwatch.Frequency;
        double At(double p) => ticks[Math.Clamp((int)Math.Ceiling(p / 100 * ticks.Length) - 1, 0, ticks.Length - 1)] * toMs;
        return new Stats(ticks.Length, ticks.Average(t => (double)t) * toMs, At(50), At(90), At(99), ticks[^1] * toMs);
    }

    /// <summary>From samples already in milliseconds.</summary>
    public static Stats FromMs(IEnumerable<double> ms)
    {
        ArgumentNullException.ThrowIfNull(ms);
        return FromTicks([.. ms.Select(m => (long)Math.Round(m * Stopwatch.Frequency / 1000.0))]);
    }
}
