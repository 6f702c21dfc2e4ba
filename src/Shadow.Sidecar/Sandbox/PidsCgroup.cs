using System.Globalization;
using System.Runtime.InteropServices;

namespace Shadow.Sidecar.Sandbox;

/// <summary>
/// A pids cgroup (cgroup v1) per spawned command, for a sidecar that runs as root: RLIMIT_NPROC does not bind root (the
/// kernel exempts uid 0, also inside a user namespace), so a fork bomb is stopped by <c>pids.max</c> instead. The child
/// must start inside the group, and <c>posix_spawn</c> cannot place it there, so the spawning thread joins the group for the
/// spawn (cgroup v1 moves single threads; the child inherits its thread's group) and leaves it right after.
/// </summary>
internal sealed partial class PidsCgroup
{
    private const string Hierarchy = "/sys/fs/cgroup/pids";
    private readonly string _base;
    private readonly string _home;
    private readonly int _maxProcesses;
    private long _next;

    private PidsCgroup(string home, string @base, int maxProcesses)
    {
        _home = home;
        _base = @base;
        _maxProcesses = maxProcesses;
    }

    /// <summary>Whether the sidecar runs as root (effective uid 0).</summary>
    public static bool IsRoot => Geteuid() == 0;

    /// <summary>The groups of this sidecar live here.</summary>
    public string Base => _base;

    /// <summary>A cgroup tree for this sidecar when it runs as root on a writable cgroup v1 pids hierarchy; null otherwise.</summary>
    public static PidsCgroup? TryCreate(int maxProcesses)
    {
        if (Geteuid() != 0 || !File.Exists(Path.Combine(Hierarchy, "cgroup.procs")))
        {
            return null;
        }

        try
        {
            // Our own group in the pids hierarchy ("N:pids:/path" in /proc/self/cgroup).
            var line = File.ReadLines("/proc/self/cgroup").FirstOrDefault(l => l.Split(':') is [_, var controllers, _] && controllers.Split(',').Contains("pids"));
            if (line is null)
            {
                return null;
            }

            var own = line[(line.IndexOf(":/", StringComparison.Ordinal) + 1)..].TrimStart('/');
            var home = Path.Combine(Hierarchy, own);
            RemoveLeftovers(home);
            var @base = Path.Combine(home, string.Create(CultureInfo.InvariantCulture, $"shadow-sidecar-{Environment.ProcessId}"));
            Directory.CreateDirectory(@base);
            return new PidsCgroup(home, @base, maxProcesses);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    // Trees of sidecars that are gone (killed before they could remove theirs): empty groups, removed best effort.
    private static void RemoveLeftovers(string home)
    {
        foreach (var dir in Directory.EnumerateDirectories(home, "shadow-sidecar-*"))
        {
            if (int.TryParse(Path.GetFileName(dir)["shadow-sidecar-".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                && pid != Environment.ProcessId && !Directory.Exists($"/proc/{pid}"))
            {
                foreach (var group in Directory.EnumerateDirectories(dir))
                {
                    Group.TryRemove(group);
                }

                Group.TryRemove(dir);
            }
        }
    }

    /// <summary>Creates a new group and moves the calling thread into it; dispose the scope right after the spawn.</summary>
    public Group Enter()
    {
        var path = Path.Combine(_base, Interlocked.Increment(ref _next).ToString(CultureInfo.InvariantCulture));
        Directory.CreateDirectory(path);
        File.WriteAllText(Path.Combine(path, "pids.max"), _maxProcesses.ToString(CultureInfo.InvariantCulture));
        var group = new Group(path, _home);
        File.WriteAllText(Path.Combine(path, "tasks"), Gettid().ToString(CultureInfo.InvariantCulture));
        return group;
    }

    /// <summary>Removes this sidecar's tree (groups still in use stay).</summary>
    public void RemoveTree()
    {
        try
        {
            foreach (var dir in Directory.GetDirectories(_base))
            {
                Group.TryRemove(dir);
            }

            Directory.Delete(_base);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Still busy: the next start of a sidecar on this host does not depend on it.
        }
    }

    [LibraryImport("libc", EntryPoint = "gettid")]
    private static partial int Gettid();

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint Geteuid();

    /// <summary>One command's group.</summary>
    internal sealed class Group(string path, string home)
    {
        private bool _left;

        public string Path => path;

        /// <summary>Moves the calling thread back to the sidecar's own group (call once, on the spawning thread).</summary>
        public void Leave()
        {
            if (!_left)
            {
                _left = true;
                File.WriteAllText(System.IO.Path.Combine(home, "tasks"), Gettid().ToString(CultureInfo.InvariantCulture));
            }
        }

        /// <summary>Whether a fork was refused because <c>pids.max</c> was reached.</summary>
        public bool LimitReached
        {
            get
            {
                try
                {
                    foreach (var line in File.ReadLines(System.IO.Path.Combine(path, "pids.events")))
                    {
                        if (line.StartsWith("max ", StringComparison.Ordinal) && line[4..].Trim() != "0")
                        {
                            return true;
                        }
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // Gone already.
                }

                return false;
            }
        }

        /// <summary>SIGKILLs whatever still runs in the group (also what left the process group) and removes it.</summary>
        public async Task KillAndRemoveAsync(TimeProvider time)
        {
            for (var attempt = 0; attempt < 50; attempt++)
            {
                var any = false;
                try
                {
                    foreach (var line in File.ReadLines(System.IO.Path.Combine(path, "cgroup.procs")))
                    {
                        if (int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid > 1)
                        {
                            any = true;
                            _ = Kill(pid, 9);
                        }
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    return;
                }

                if (!any && TryRemove(path))
                {
                    return;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(10), time).ConfigureAwait(false);
            }
        }

        internal static bool TryRemove(string dir)
        {
            try
            {
                Directory.Delete(dir);
                return true;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return !Directory.Exists(dir);
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int Kill(int pid, int signal);
}
