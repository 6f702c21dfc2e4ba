using System.Globalization;

namespace Shadow.Sidecar.Exec;

/// <summary>
/// One empty file per running process group in <c>&lt;state&gt;/exec/groups/</c>, named <c>&lt;pgid&gt;.&lt;start&gt;</c>: the
/// leader's start time from <c>/proc/PID/stat</c> is in the name, so adding one is a create and removing one an unlink
/// (files of an older sidecar, named by pgid alone with the start time inside, are still read). A graceful stop ends every group itself; after a crash (SIGKILL of the sidecar) the
/// files are left behind, and the next start ends those groups, so no command outlives its sidecar for long. The start
/// time tells a recycled pid apart from our leader.
/// </summary>
internal sealed partial class GroupRegistry(string stateDir, ILogger logger)
{
    private readonly string _directory = Path.Combine(stateDir, "exec", "groups");
    private readonly System.Collections.Concurrent.ConcurrentDictionary<int, string> _files = new();

    /// <summary>Ends the groups a previous run left behind and forgets them.</summary>
    public void ReapLeftovers()
    {
        Directory.CreateDirectory(_directory);
        foreach (var file in Directory.GetFiles(_directory))
        {
            var name = Path.GetFileName(file);
            var dot = name.IndexOf('.', StringComparison.Ordinal);
            if (int.TryParse(dot < 0 ? name : name[..dot], NumberStyles.None, CultureInfo.InvariantCulture, out var pgid) && pgid > 1)
            {
                var recorded = dot < 0 ? ReadText(file) : name[(dot + 1)..];
                var leaderStart = StartTime(pgid);
                // Ours if the leader is the very process we started, or if no process has that pid any more but the group
                // still has members (a pid in use as a group id is not handed out again).
                var ours = leaderStart is null ? ProcessGroups.IsAlive(pgid) : string.Equals(leaderStart, recorded, StringComparison.Ordinal);
                if (ours)
                {
                    LogWarningLeftover(pgid);
                    ProcessGroups.Signal(pgid, ProcessGroups.SigKill);
                }
            }

            TryDelete(file);
        }
    }

    public void Add(int pgid)
    {
        var path = Path.Combine(_directory, string.Create(CultureInfo.InvariantCulture, $"{pgid}.{StartTime(pgid)}"));
        try
        {
            File.OpenHandle(path, FileMode.Create, FileAccess.Write).Dispose();
            _files[pgid] = path;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LogWarningRegistryFailed(e, _directory);
        }
    }

    public void Remove(int pgid)
    {
        if (_files.TryRemove(pgid, out var path))
        {
            TryDelete(path);
        }
    }

    // Field 22 of /proc/PID/stat: start time in clock ticks since boot.
    private static string? StartTime(int pid) =>
        ProcessGroups.StatFields($"/proc/{pid}") is { Length: > 19 } fields ? fields[19] : null;

    private static string? ReadText(string path)
    {
        try
        {
            return File.ReadAllText(path).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LogWarningRegistryFailed(e, _directory);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Process group {Pgid} was left running by a previous sidecar that did not stop cleanly; killing it")]
    private partial void LogWarningLeftover(int pgid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot update the process group registry in {Directory}")]
    private partial void LogWarningRegistryFailed(Exception exception, string directory);
}
