using System.Globalization;

namespace Shadow.Grains.Runtime.Local;

/// <summary>
/// What the runtime leaves on disk so that a host that crashed can clean up after itself on its next start, under
/// <c>&lt;DataDir&gt;/runtime/</c>: <c>children/&lt;pid&gt;.&lt;start&gt;</c> per running sidecar (the start time from
/// <c>/proc/PID/stat</c> tells our process from one that got its pid later; the file holds the instance id, for people),
/// and <c>warm/&lt;instanceId&gt;</c> per warm-pool instance not yet handed out (its folders are throwaway). A create and an
/// unlink each, so a crash never leaves a half-written record.
/// </summary>
internal sealed class RuntimeRecords(string dataDir)
{
    public string ChildrenDirectory { get; } = Path.Combine(dataDir, "runtime", "children");

    public string WarmDirectory { get; } = Path.Combine(dataDir, "runtime", "warm");

    /// <summary>Records a running child; answers the record's path (null when it could not be written).</summary>
    public string? AddChild(int pid, string startTime, string instanceId)
    {
        Directory.CreateDirectory(ChildrenDirectory);
        var path = Path.Combine(ChildrenDirectory, string.Create(CultureInfo.InvariantCulture, $"{pid}.{startTime}"));
        File.WriteAllText(path, instanceId);
        return path;
    }

    /// <summary>Every child record: pid, start time and the record's path (malformed names come back with pid 0).</summary>
    public IReadOnlyList<(int Pid, string StartTime, string Path)> ReadChildren()
    {
        if (!Directory.Exists(ChildrenDirectory))
        {
            return [];
        }

        return [.. Directory.EnumerateFiles(ChildrenDirectory).Select(path =>
        {
            var name = System.IO.Path.GetFileName(path);
            var dot = name.IndexOf('.', StringComparison.Ordinal);
            return dot > 0 && int.TryParse(name.AsSpan(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                ? (pid, name[(dot + 1)..], path)
                : (0, string.Empty, path);
        })];
    }

    public void MarkWarm(string instanceId)
    {
        Directory.CreateDirectory(WarmDirectory);
        File.WriteAllBytes(Path.Combine(WarmDirectory, instanceId), []);
    }

    public void UnmarkWarm(string instanceId) => Delete(Path.Combine(WarmDirectory, instanceId));

    /// <summary>Instance ids of warm-pool instances a previous run left behind.</summary>
    public IReadOnlyList<string> ReadWarm() =>
        Directory.Exists(WarmDirectory) ? [.. Directory.EnumerateFiles(WarmDirectory).Select(Path.GetFileName).OfType<string>()] : [];

    /// <summary>Removes a record; a record already gone is fine.</summary>
    public static void Delete(string? path)
    {
        if (path is null)
        {
            return;
        }

        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: a stale record is checked against the process start time before anything is killed.
        }
    }
}
