using System.Text.Json.Serialization;

namespace Shadow.Bench.Sidecar;

/// <summary>The concurrent phase: <see cref="Connections"/> keep-alive connections hammering for <see cref="Seconds"/>.</summary>
internal sealed record ConcurrentResult(int Connections, long Requests, double Seconds, double RequestsPerSecond, Stats Latency);

/// <summary>One scenario on one sidecar. <see cref="Outcome"/> is <c>ok</c>, <c>missing</c> (route answers 404) or <c>failed</c>.</summary>
internal sealed record ScenarioResult(
    string Name,
    string Outcome,
    string? Error,
    int? HttpStatus,
    Stats? Sequential,
    ConcurrentResult? Concurrent,
    double? TargetP50Ms,
    double? TargetRps)
{
    public static ScenarioResult Missing(Scenario s) => new(s.Name, "missing", "route missing (404)", 404, null, null, s.TargetP50Ms, s.TargetRps);

    public static ScenarioResult Failed(Scenario s, string error) => new(s.Name, "failed", error, null, null, null, s.TargetP50Ms, s.TargetRps);

    public static ScenarioResult Measured(Scenario s, int status, Stats sequential, ConcurrentResult concurrent) =>
        new(s.Name, "ok", null, status, sequential, concurrent, s.TargetP50Ms, s.TargetRps);
}

/// <summary>One cold start: spawn → listening line, and spawn → first <c>/health</c> 200.</summary>
internal sealed record ColdStart(double ListeningMs, double FirstHealthMs);

/// <summary>Everything measured on one sidecar build.</summary>
internal sealed record SidecarResult(
    string Label,
    string Path,
    long? BinaryBytes,
    IReadOnlyList<ColdStart> ColdStarts,
    double? ColdStartMedianMs,
    double? IdleRssMb,
    double? RssAfterLoadMb,
    double? PeakRssMb,
    IReadOnlyList<ScenarioResult> Scenarios,
    string? Error);

/// <summary>One row of the verdict table. <see cref="Pass"/> is null when there is no target or nothing was measured.</summary>
internal sealed record Check(string Sidecar, string Metric, string Measured, string Target, bool? Pass);

/// <summary>The whole run, written to <c>results/latest.json</c>.</summary>
internal sealed record BenchResult(
    DateTimeOffset StartedAt,
    string Machine,
    int ProcessorCount,
    string Runtime,
    IReadOnlyDictionary<string, string> Meta,
    BenchSettings Settings,
    IReadOnlyList<SidecarResult> Sidecars,
    IReadOnlyList<Check> Checks);

/// <summary>The load settings used.</summary>
internal sealed record BenchSettings(int Warmup, int Requests, double DurationSeconds, int Concurrency, int ColdRuns, double IdleWaitSeconds, bool Quick);

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(BenchResult))]
internal sealed partial class BenchJsonContext : JsonSerializerContext;
