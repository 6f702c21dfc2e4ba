using System.Globalization;

namespace Shadow.Bench.Common;

/// <summary>Reads a process's memory from <c>/proc/&lt;pid&gt;/status</c>. MB means MiB (kB / 1024).</summary>
public static class ProcMemory
{
    /// <summary>Resident set size and its peak (<c>VmRSS</c>, <c>VmHWM</c>), in bytes.</summary>
    public static (long Rss, long Peak) Read(int pid)
    {
        long rss = 0, peak = 0;
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                rss = ParseKb(line);
            }
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                peak = ParseKb(line);
            }
        }

        return rss > 0 ? (rss, peak) : throw new BenchException($"No VmRSS in /proc/{pid}/status.");
    }

    public static double ToMb(long bytes) => bytes / (1024.0 * 1024.0);

    private static long ParseKb(string line)
    {
        // "VmRSS:	   19876 kB"
        var digits = line.AsSpan(line.IndexOf(':', StringComparison.Ordinal) + 1).Trim();
        var space = digits.IndexOf(' ');
        return long.Parse(space > 0 ? digits[..space] : digits, NumberStyles.None, CultureInfo.InvariantCulture) * 1024;
    }
}
