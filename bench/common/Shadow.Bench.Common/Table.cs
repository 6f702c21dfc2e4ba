using System.Globalization;
using System.Text;

namespace Shadow.Bench.Common;

/// <summary>Formatting shared by the reports: invariant numbers and a padded markdown table.</summary>
public static class Table
{
    /// <summary><paramref name="value"/> with <paramref name="decimals"/> decimals, invariant culture.</summary>
    public static string F(double value, int decimals) =>
        value.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    /// <summary>The result cell of a verdict row: pass, FAIL, or - when there is no target.</summary>
    public static string Verdict(bool? pass) => pass switch { true => "pass", false => "FAIL", null => "-" };

    /// <summary>Appends a markdown table whose columns are padded to their widest cell.</summary>
    public static void Render(StringBuilder sb, IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows)
    {
        ArgumentNullException.ThrowIfNull(sb);
        ArgumentNullException.ThrowIfNull(header);
        var all = rows.ToList();
        var widths = Enumerable.Range(0, header.Count).Select(i => all.Select(r => r[i].Length).Append(header[i].Length).Max()).ToArray();
        void Row(IReadOnlyList<string> cells) => sb.AppendLine("| " + string.Join(" | ", cells.Select((c, i) => c.PadRight(widths[i]))) + " |");
        Row(header);
        sb.AppendLine("|" + string.Join("|", widths.Select(w => new string('-', w + 2))) + "|");
        foreach (var row in all)
        {
            Row(row);
        }
    }
}
