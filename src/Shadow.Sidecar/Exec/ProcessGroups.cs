using System.Globalization;
using System.Runtime.InteropServices;

namespace Shadow.Sidecar.Exec;

/// <summary>
/// Signals to whole process groups. Each command's bash is spawned in a new session (<see cref="NativeSpawn"/>): its pid is
/// then its session and process group id, inherited by everything it starts (<c>sleep 100 &amp;</c> included), so one
/// <c>kill(-pgid)</c> reaches them all. Plain libc calls, so Native AOT is fine.
/// </summary>
internal static partial class ProcessGroups
{
    public const int SigKill = 9;
    public const int SigTerm = 15;
    private const int Esrch = 3;

    /// <summary>Sends <paramref name="signal"/> to every process of group <paramref name="pgid"/>; false when the group is gone.</summary>
    public static bool Signal(int pgid, int signal)
    {
        if (pgid <= 1)
        {
            return false;
        }

        return NativeKill(-pgid, signal) == 0;
    }

    /// <summary>
    /// Sends <paramref name="signal"/> to every member of group <paramref name="pgid"/> but its leader; false when none was
    /// found. For a sandboxed command, whose leader is the sandbox itself: a SIGTERM there would end the sandbox, and every
    /// process in it with SIGKILL, before the command could clean up.
    /// </summary>
    public static bool SignalMembers(int pgid, int signal)
    {
        if (pgid <= 1)
        {
            return false;
        }

        var any = false;
        try
        {
            foreach (var dir in Directory.EnumerateDirectories("/proc"))
            {
                var name = Path.GetFileName(dir);
                if (name.Length == 0 || !char.IsAsciiDigit(name[0]) || !int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                    || pid == pgid)
                {
                    continue;
                }

                if (TryReadStat(dir, out var state, out var group) && group == pgid && state is not ('Z' or 'X'))
                {
                    any |= NativeKill(pid, signal) == 0;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return any;
        }

        return any;
    }

    /// <summary>Whether any process of the group is still alive (zombies waiting for their reaper do not count).</summary>
    public static bool IsAlive(int pgid)
    {
        if (pgid <= 1)
        {
            return false;
        }

        if (NativeKill(-pgid, 0) != 0 && Marshal.GetLastPInvokeError() == Esrch)
        {
            return false;
        }

        // kill(2) also finds zombies; look at /proc for a member that still runs.
        try
        {
            foreach (var dir in Directory.EnumerateDirectories("/proc"))
            {
                var name = Path.GetFileName(dir.AsSpan());
                if (name.Length == 0 || !char.IsAsciiDigit(name[0]))
                {
                    continue;
                }

                if (TryReadStat(dir, out var state, out var group) && group == pgid && state is not ('Z' or 'X'))
                {
                    return true;
                }
            }
        }
        catch (IOException)
        {
            return true;
        }
        catch (UnauthorizedAccessException)
        {
            return true;
        }

        return false;
    }

    /// <summary>Parses <c>/proc/PID/stat</c>: state and process group (fields 3 and 5, after the parenthesised name).</summary>
    public static bool TryReadStat(string procDir, out char state, out int pgid)
    {
        state = '?';
        pgid = 0;
        if (StatFields(procDir) is not { Length: >= 3 } fields)
        {
            return false;
        }

        state = fields[0].Length > 0 ? fields[0][0] : '?';
        return int.TryParse(fields[2], NumberStyles.Integer, CultureInfo.InvariantCulture, out pgid);
    }

    /// <summary>
    /// The fields of <c>/proc/PID/stat</c> after the parenthesised command name (so index 0 is field 3, the state);
    /// null when the process is gone or the file cannot be read. The name may hold spaces and parentheses, hence the last ')'.
    /// </summary>
    public static string[]? StatFields(string procDir)
    {
        string stat;
        try
        {
            stat = File.ReadAllText(Path.Combine(procDir, "stat"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        var close = stat.LastIndexOf(')');
        return close < 0 || close + 2 >= stat.Length ? null : stat[(close + 2)..].TrimEnd().Split(' ');
    }

    /// <summary>The <c>bash</c> binary on PATH (falls back to <c>/bin/bash</c>).</summary>
    public static string FindBash()
    {
        var path = Environment.GetEnvironmentVariable("PATH") is { Length: > 0 } p ? p : "/usr/local/bin:/usr/bin:/bin";
        foreach (var dir in path.Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, "bash");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return "/bin/bash";
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int NativeKill(int pid, int signal);
}
