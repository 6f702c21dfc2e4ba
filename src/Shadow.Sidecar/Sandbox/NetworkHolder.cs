using System.ComponentModel;
using System.Globalization;
using Shadow.Sidecar.Exec;

namespace Shadow.Sidecar.Sandbox;

/// <summary>
/// The workspace's network namespace: a tiny bubblewrap sandbox (<c>cat</c> of a lifeline pipe, in a new user and network namespace)
/// that every command joins through <c>nsenter</c>. It holds only a loopback of its own, unless the network is on: then a
/// slirp4netns attached to it gives outbound access through user-mode NAT with the host's loopback disabled. Both read a
/// pipe whose only writer is the sidecar (close-on-exec, so no command inherits it): when the sidecar ends, even by
/// SIGKILL, they read end-of-file and exit. Started in their own sessions and recorded in the group registry too.
/// </summary>
internal sealed partial class NetworkHolder(string bwrap, SandboxNetwork network, SandboxOptions options, string sandboxState, ChildReaper reaper,
    GroupRegistry groups, TimeProvider time, ILogger logger) : IDisposable
{
    private readonly Lock _gate = new();
    private ShellProcessHandle? _holder;
    private ShellProcessHandle? _slirp;
    private Microsoft.Win32.SafeHandles.SafeFileHandle? _lifeline;
    private int _target;
    private bool _disposed;

    public void Start() => EnsureRunning();

    /// <summary>The holder's pid, (re)starting it when it is not running.</summary>
    public int EnsureRunning()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_holder is { Exited.IsCompleted: false } && (_slirp is null || !_slirp.Exited.IsCompleted))
            {
                return _target;
            }

            StopLocked();
            try
            {
                return StartLocked();
            }
            catch
            {
                StopLocked();
                throw;
            }
        }
    }

    private int StartLocked()
    {
        var (lifelineRead, lifelineWrite) = NativeSpawn.CreatePipe();
        _lifeline = lifelineWrite;
        using var keep = lifelineRead;
        string[] argv = [bwrap, "--unshare-user", "--unshare-net", "--cap-drop", "ALL", "--ro-bind", "/", "/", "--", "cat"];
        _holder = Spawn(bwrap, argv, lifelineRead);
        // bwrap's first process stays in the host's namespaces; its child is the one inside.
        _target = WaitForNamespace(_holder.Pid, time);
        if (network == SandboxNetwork.On)
        {
            var slirp = Executables.Find("slirp4netns", options.Slirp4netnsPath)
                ?? throw new InvalidOperationException("Sidecar:Sandbox:Network=On needs slirp4netns on PATH (apt-get install slirp4netns).");
            var pid = _target.ToString(CultureInfo.InvariantCulture);
            _slirp = Spawn(slirp,
                [slirp, "--configure", "--mtu=65520", "--disable-host-loopback", "--exit-fd=0", $"--userns-path=/proc/{pid}/ns/user", pid, "tap0"],
                lifelineRead);
            WaitForRoute(_target, time);
        }

        LogInformationHolderStarted(_target, network);
        return _target;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            StopLocked();
        }
    }

    private void StopLocked()
    {
        foreach (var process in new[] { _slirp, _holder })
        {
            if (process is not null)
            {
                ProcessGroups.Signal(process.Pid, ProcessGroups.SigKill);
                groups.Remove(process.Pid);
            }
        }

        _lifeline?.Dispose();
        _lifeline = null;
        _slirp = null;
        _holder = null;
        _target = 0;
    }

    private ShellProcessHandle Spawn(string program, string[] argv, Microsoft.Win32.SafeHandles.SafeFileHandle stdin)
    {
        // Their chatter (slirp4netns reports the tap device) goes nowhere.
        using var devNull = File.OpenHandle("/dev/null", FileMode.Open, FileAccess.Write);
        try
        {
            var pid = NativeSpawn.Spawn(program, argv, ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"], sandboxState, stdin, devNull, devNull);
            var exited = reaper.Track(pid);
            groups.Add(pid);
            return new ShellProcessHandle(pid, exited);
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException($"Cannot start the sandbox's network namespace ({program}): {e.Message}", e);
        }
    }

    // The pid of bwrap's child once it is in a network namespace of its own.
    private static int WaitForNamespace(int pid, TimeProvider time)
    {
        var own = ReadLink("/proc/self/ns/net");
        for (var i = 0; i < 500; i++)
        {
            foreach (var child in Children(pid))
            {
                var ns = ReadLink($"/proc/{child}/ns/net");
                if (ns is not null && ns != own && HasUidMap(child))
                {
                    return child;
                }
            }

            Pause(2, time);
        }

        throw new InvalidOperationException("The sandbox's network namespace did not appear within 1 s.");
    }

    private static void WaitForRoute(int pid, TimeProvider time)
    {
        for (var i = 0; i < 500; i++)
        {
            try
            {
                if (File.ReadLines($"/proc/{pid}/net/route").Skip(1).Any(l => l.StartsWith("tap0", StringComparison.Ordinal)))
                {
                    return;
                }
            }
            catch (IOException)
            {
                // Not there yet.
            }

            Pause(10, time);
        }

        throw new InvalidOperationException("slirp4netns did not configure the sandbox's network within 5 s.");
    }

    // Rare (start, or a holder that died), under the lock, on the path that spawns a command: a short blocking wait.
    private static void Pause(int milliseconds, TimeProvider time) =>
        Task.Delay(TimeSpan.FromMilliseconds(milliseconds), time).GetAwaiter().GetResult();

    // Joining its user namespace before bwrap wrote the uid map would leave nsenter with no mapped uid.
    private static bool HasUidMap(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/uid_map").Trim().Length > 0;
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static IEnumerable<int> Children(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/task/{pid}/children");
        }
        catch (IOException)
        {
            yield break;
        }

        foreach (var part in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var child))
            {
                yield return child;
            }
        }
    }

    private static string? ReadLink(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget;
        }
        catch (IOException)
        {
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Sandbox network namespace holder started as pid {Pid} (network {Network})")]
    private partial void LogInformationHolderStarted(int pid, SandboxNetwork network);

    /// <summary>A helper process the holder started.</summary>
    private sealed record ShellProcessHandle(int Pid, Task<int> Exited);
}
