namespace Shadow.Bench.Agent;

/// <summary>The whole run, written to <c>results/latest.json</c>.</summary>
internal sealed record BenchResult(
    DateTimeOffset StartedAt,
    string Machine,
    int ProcessorCount,
    string Runtime,
    IReadOnlyDictionary<string, string> Meta,
    IReadOnlyDictionary<string, string> Settings,
    IReadOnlyList<Check> Checks,
    IReadOnlyList<string> Details,
    IReadOnlyDictionary<string, double> Numbers,
    IReadOnlyList<string> Errors);
