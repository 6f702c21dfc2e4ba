using System.Text;

namespace Shadow.Bench.Agent;

/// <summary>What the scenarios found: verdict rows, detail lines, raw numbers and harness errors.</summary>
internal sealed class Findings
{
    public List<Check> Checks { get; } = [];

    public List<string> Details { get; } = [];

    public SortedDictionary<string, double> Numbers { get; } = new(StringComparer.Ordinal);

    public List<string> Errors { get; } = [];

    public void Add(string metric, string measured, string target, bool? pass) => Checks.Add(new Check(metric, measured, target, pass));

    /// <summary>A latency row: p50 / p90 / p99 / mean (n) in ms, checked against <paramref name="targetP50Ms"/> when given.</summary>
    public void AddLatency(string metric, string key, Stats stats, double? targetP50Ms)
    {
        var measured = stats.Count == 0
            ? "not measured"
            : $"p50 {Table.F(stats.P50Ms, 2)} / p90 {Table.F(stats.P90Ms, 2)} / p99 {Table.F(stats.P99Ms, 2)} / mean {Table.F(stats.MeanMs, 2)} ms (n={stats.Count})";
        bool? pass = targetP50Ms is { } t && stats.Count > 0 ? stats.P50Ms < t : null;
        Add(metric, measured, targetP50Ms is { } target ? $"p50 < {Table.F(target, 0)} ms" : "-", pass);
        Numbers[key + ".p50Ms"] = stats.P50Ms;
        Numbers[key + ".p90Ms"] = stats.P90Ms;
        Numbers[key + ".p99Ms"] = stats.P99Ms;
        Numbers[key + ".meanMs"] = stats.MeanMs;
        Numbers[key + ".maxMs"] = stats.MaxMs;
        Numbers[key + ".count"] = stats.Count;
    }

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
