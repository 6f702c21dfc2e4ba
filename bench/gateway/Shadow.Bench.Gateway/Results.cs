using System.Text;
using System.Text.Json.Serialization;

namespace Shadow.Bench.Gateway;

/// <summary>One row of the verdict table. <see cref="Pass"/> is null when there is no target or nothing was measured.</summary>
internal sealed record Check(string Metric, string Measured, string Target, bool? Pass);

/// <summary>What the scenarios found: verdict rows, detail lines, raw numbers and harness errors.</summary>
internal sealed class Findings
{
    public List<Check> Checks { get; } = [];

    public List<string> Details { get; } = [];

    public SortedDictionary<string, double> Numbers { get; } = new(StringComparer.Ordinal);

    public List<string> Errors { get; } = [];

    public void Add(string metric, string measured, string target, bool? pass) => Checks.Add(new Check(metric, measured, target, pass));

    /// <summary>A detail line, printed at once and kept for the summary.</summary>
    public void Detail(string line)
    {
        Console.WriteLine("   " + line);
        Details.Add(line);
    }

    public string Render()
    {
        var sb = new StringBuilder();
        Table.Render(sb, ["metric", "measured", "target", "result"],
            Checks.Select(c => (IReadOnlyList<string>)[c.Metric, c.Measured, c.Target, Table.Verdict(c.Pass)]));
        if (Details.Count > 0)
        {
            sb.AppendLine();
            foreach (var line in Details)
            {
                sb.AppendLine("   " + line);
            }
        }

        return sb.ToString();
    }
}

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

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(BenchResult))]
internal sealed partial class BenchJsonContext : JsonSerializerContext;
