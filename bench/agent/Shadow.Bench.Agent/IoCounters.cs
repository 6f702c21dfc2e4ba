using System.Globalization;

namespace Shadow.Bench.Agent;

/// <summary>
/// This process's I/O counters from <c>/proc/self/io</c>: <see cref="WriteChars"/> (bytes handed to write-like syscalls:
/// here SQLite's WAL and database writes, plus console output), <see cref="WriteCalls"/> and <see cref="WriteBytes"/> (bytes
/// the process caused to be sent to the block layer). Socket sends do not count in either. Null where the file is absent.
/// </summary>
internal sealed record IoCounters(long WriteChars, long WriteCalls, long WriteBytes)
{
    public static IoCounters? Read()
    {
        const string path = "/proc/self/io";
        if (!File.Exists(path))
        {
            return null;
        }

        var fields = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var line in File.ReadAllLines(path))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && long.TryParse(line.AsSpan(colon + 1).Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
            {
                fields[line[..colon]] = value;
            }
        }

        return fields.TryGetValue("wchar", out var wchar) && fields.TryGetValue("syscw", out var syscw) && fields.TryGetValue("write_bytes", out var writeBytes)
            ? new IoCounters(wchar, syscw, writeBytes)
            : null;
    }

    public static IoCounters? Delta(IoCounters? before, IoCounters? after) =>
        before is null || after is null
            ? null
            : new IoCounters(after.WriteChars - before.WriteChars, after.WriteCalls - before.WriteCalls, after.WriteBytes - before.WriteBytes);
}
