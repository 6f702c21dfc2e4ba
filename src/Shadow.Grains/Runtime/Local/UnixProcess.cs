using System.Runtime.InteropServices;

namespace Shadow.Grains.Runtime.Local;

/// <summary>
/// The few Linux process calls the local runtime needs: <c>/proc/PID/stat</c> (state and start time, which tells a recycled
/// pid apart from the process we started) and <c>kill(2)</c>.
/// </summary>
internal static partial class UnixProcess
{
    public const int SigKill = 9;
    public const int SigTerm = 15;

    /// <summary>State (field 3) and start time in clock ticks since boot (field 22) of <paramref name="pid"/>; false when it is gone.</summary>
    public static bool TryReadStat(int pid, out char state, out string startTime)
    {
        state = '?';
        startTime = string.Empty;
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }

        // The command name (field 2) may hold spaces and parentheses: the fields start after the last ')'.
        var close = stat.LastIndexOf(')');
        if (close < 0 || close + 2 >= stat.Length)
        {
            return false;
        }

        var fields = stat[(close + 2)..].TrimEnd().Split(' ');
        if (fields.Length <= 19 || fields[0].Length == 0)
        {
            return false;
        }

        state = fields[0][0];
        startTime = fields[19];
        return true;
    }

    /// <summary>The start time of <paramref name="pid"/>, or null when it is gone.</summary>
    public static string? StartTime(int pid) => TryReadStat(pid, out _, out var start) ? start : null;

    /// <summary>Whether <paramref name="pid"/> still runs and is the process that started at <paramref name="startTime"/> (zombies count as gone).</summary>
    public static bool IsRunning(int pid, string startTime) =>
        TryReadStat(pid, out var state, out var start) && state is not ('Z' or 'X') && string.Equals(start, startTime, StringComparison.Ordinal);

    /// <summary>Sends <paramref name="signal"/> to <paramref name="pid"/>; false when it is gone (or not ours).</summary>
    public static bool Signal(int pid, int signal) => pid > 1 && Kill(pid, signal) == 0;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
