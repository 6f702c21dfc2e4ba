using System.Globalization;
using System.Text;

namespace Shadow.Bench.Sidecar;

/// <summary>Turns measurements into verdict rows (metric | measured | target | result) and prints them.</summary>
internal static class Report
{
    public const double ColdStartTargetMs = 150;
    public const double IdleRssTargetMb = 30;

    public static List<Check> BuildChecks(SidecarResult sidecar)
    {
        var checks = new List<Check>();
        void Add(string metric, string measured, string target, bool? pass) => checks.Add(new Check(sidecar.Label, metric, measured, target, pass));

        if (sidecar.Error is { } error)
        {
            Add("run", "FAILED: " + OneLine(error), "-", false);
        }

        foreach (var s in sidecar.Scenarios)
        {
            var p50Target = s.TargetP50Ms is { } t ? $"<= {F(t, 2)} ms" : "-";
            var rpsTarget = s.TargetRps is { } r ? $">= {F(r, 0)} req/s" : "-";
            var c10 = $"{s.Name} c{s.Concurrent?.Connections.ToString(CultureInfo.InvariantCulture) ?? "10"}";
            switch (s.Outcome)
            {
                case "missing":
                    Add($"{s.Name} p50", "n/a (route missing)", p50Target, null);
                    Add(c10, "n/a (route missing)", rpsTarget, null);
                    break;
                case "failed":
                    Add(s.Name, "FAILED: " + OneLine(s.Error ?? "?"), "-", false);
                    break;
                default:
                    var seq = s.Sequential!;
                    var con = s.Concurrent!;
                    Add($"{s.Name} p50", $"{F(seq.P50Ms, 3)} ms", p50Target, s.TargetP50Ms is { } tp ? seq.P50Ms <= tp : null);
                    Add($"{s.Name} p99", $"{F(seq.P99Ms, 3)} ms", "-", null);
                    Add(c10, $"{F(con.RequestsPerSecond, 0)} req/s", rpsTarget, s.TargetRps is { } tr ? con.RequestsPerSecond >= tr : null);
                    break;
            }
        }

        if (sidecar.ColdStartMedianMs is { } cold)
        {
            Add($"cold start (median of {sidecar.ColdStarts.Count})", $"{F(cold, 1)} ms", $"< {F(ColdStartTargetMs, 0)} ms", cold < ColdStartTargetMs);
        }

        if (sidecar.IdleRssMb is { } idle)
        {
            Add("idle RSS", $"{F(idle, 1)} MB", $"< {F(IdleRssTargetMb, 0)} MB", idle < IdleRssTargetMb);
        }

        if (sidecar.RssAfterLoadMb is { } after)
        {
            Add("RSS after load (peak)", $"{F(after, 1)} MB ({F(sidecar.PeakRssMb ?? 0, 1)})", "-", null);
        }

        return checks;
    }

    public static string Render(SidecarResult sidecar, IReadOnlyList<Check> checks)
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"== {sidecar.Label}: {sidecar.Path}");
        if (sidecar.ColdStarts.Count > 0)
        {
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"   cold starts (spawn -> first /health 200): {string.Join(", ", sidecar.ColdStarts.Select(c => F(c.FirstHealthMs, 1)))} ms; " +
                $"spawn -> listening line: {string.Join(", ", sidecar.ColdStarts.Select(c => F(c.ListeningMs, 1)))} ms");
        }

        Table.Render(sb, ["metric", "measured", "target", "result"],
            checks.Select(c => (IReadOnlyList<string>)[c.Metric, c.Measured, c.Target, Table.Verdict(c.Pass)]));
        sb.AppendLine();
        sb.AppendLine("   scenario     p50 ms   p90 ms   p99 ms   max ms | c10 req/s  c10 p50  c10 p99");
        foreach (var s in sidecar.Scenarios.Where(s => s.Outcome == "ok"))
        {
            var q = s.Sequential!;
            var c = s.Concurrent!;
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"   {s.Name,-10} {F(q.P50Ms, 3),8} {F(q.P90Ms, 3),8} {F(q.P99Ms, 3),8} {F(q.MaxMs, 3),8} | {F(c.RequestsPerSecond, 0),9} {F(c.Latency.P50Ms, 3),8} {F(c.Latency.P99Ms, 3),8}");
        }

        return sb.ToString();
    }

    internal static string F(double value, int decimals) => Table.F(value, decimals);

    private static string OneLine(string text)
    {
        var line = text.ReplaceLineEndings(" ");
        return line.Length <= 100 ? line : line[..100] + "…";
    }
}
