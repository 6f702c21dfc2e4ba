using System.Text;
using Shadow.Sidecar.Sandbox;

namespace Shadow.Sidecar.Exec;

/// <summary>
/// Spawns the bash behind each command, in its own session (<see cref="NativeSpawn"/>), registered with the reaper and the
/// process group registry. A cold command is <c>bash -c &lt;command&gt;</c> with stdin on <c>/dev/null</c>. A warm shell is
/// started ahead of time with the default environment and <see cref="WarmScript"/>, and waits for its one request. Either way
/// the bash runs inside the <see cref="CommandSandbox"/> (when it is not None), in a pids cgroup of its own when there is one.
/// </summary>
internal sealed class ShellLauncher(string bash, KeyValuePair<string, string>[] baseEnvironment, string root, ChildReaper reaper, GroupRegistry groups,
    CommandSandbox sandbox)
{
    /// <summary>Largest request (UTF-8 cwd + command) a warm shell takes: bash reads a pipe one byte per read(2).</summary>
    public const int MaxWarmRequestBytes = 32 * 1024;

    /// <summary>
    /// What a warm shell runs, as <c>bash -c</c>, on one line (so the command's <c>$LINENO</c> matches): read the cwd and
    /// the command (NUL-terminated) from stdin, cd there, put OLDPWD back to the exported-but-unset state a new bash has,
    /// put stdin on /dev/null, reset SECONDS, set <c>$_</c> to <c>$0</c> as at bash's start, and eval the command, which is
    /// also kept in BASH_EXECUTION_STRING like <c>bash -c</c> does. No variable, option or trap of its own is left behind,
    /// <c>$0</c>, <c>$$</c> and <c>$-</c> are those of <c>bash -c</c>, <c>exit</c> and EXIT traps end this very shell, and
    /// its status is the command's. Only a syntax error reads "eval:" where <c>bash -c</c> says "-c:".
    /// </summary>
    public const string WarmScript =
        "IFS= read -r -d '' BASH_EXECUTION_STRING || exit 126; cd -- \"$BASH_EXECUTION_STRING\" || exit 126; unset -v OLDPWD; export OLDPWD; "
        + "IFS= read -r -d '' BASH_EXECUTION_STRING || exit 126; exec </dev/null; SECONDS=0; : \"$0\"; eval \"$BASH_EXECUTION_STRING\"";

    private readonly string[] _warmEnvironment = Flatten(baseEnvironment, root, null);

    /// <summary>Spawns <c>bash -c &lt;command&gt;</c> in <paramref name="directory"/>.</summary>
    public ShellProcess StartCommand(string command, string directory, IReadOnlyDictionary<string, string>? env) =>
        Start([bash, "-c", command], Flatten(baseEnvironment, directory, env), directory, warm: false);

    /// <summary>Spawns a warm shell in the workspace root with the default environment.</summary>
    public ShellProcess StartWarm() => Start([bash, "-c", WarmScript], _warmEnvironment, root, warm: true);

    /// <summary>The request a warm shell reads, or null when it is too long for one.</summary>
    public static byte[]? WarmRequest(string directory, string command)
    {
        var length = Encoding.UTF8.GetByteCount(directory) + Encoding.UTF8.GetByteCount(command) + 2;
        if (length > MaxWarmRequestBytes)
        {
            return null;
        }

        var bytes = new byte[length];
        var at = Encoding.UTF8.GetBytes(directory, bytes);
        at++;
        Encoding.UTF8.GetBytes(command, bytes.AsSpan(at));
        return bytes;
    }

    private ShellProcess Start(string[] argv, string[] environment, string directory, bool warm)
    {
        var (stdoutRead, stdoutWrite) = NativeSpawn.CreatePipe();
        var (stderrRead, stderrWrite) = NativeSpawn.CreatePipe();
        var (requestRead, requestWrite) = warm ? NativeSpawn.CreatePipe() : (null, null);
        int pid;
        PidsCgroup.Group? cgroup = null;
        try
        {
            var plan = sandbox.Plan(argv, directory);
            cgroup = sandbox.Cgroup?.Enter();
            try
            {
                pid = NativeSpawn.Spawn(plan.Program, plan.Argv, environment, directory, requestRead, stdoutWrite, stderrWrite);
            }
            finally
            {
                cgroup?.Leave();
            }
        }
        catch
        {
            stdoutRead.Dispose();
            stderrRead.Dispose();
            requestWrite?.Dispose();
            _ = cgroup?.KillAndRemoveAsync(TimeProvider.System);
            throw;
        }
        finally
        {
            // The child holds its own copies now; ours would keep the pipes open after it ends.
            stdoutWrite.Dispose();
            stderrWrite.Dispose();
            requestRead?.Dispose();
        }

        var exited = reaper.Track(pid);
        groups.Add(pid);
        return new ShellProcess(pid, stdoutRead, stderrRead, requestWrite, exited, cgroup, sandbox.Kind != SandboxKind.None);
    }

    private static string[] Flatten(KeyValuePair<string, string>[] baseEnvironment, string directory, IReadOnlyDictionary<string, string>? overrides)
    {
        var environment = new Dictionary<string, string>(baseEnvironment.Length + 1 + (overrides?.Count ?? 0), StringComparer.Ordinal);
        foreach (var (name, value) in baseEnvironment)
        {
            environment[name] = value;
        }

        environment["PWD"] = directory;
        if (overrides is not null)
        {
            foreach (var (name, value) in overrides)
            {
                environment[name] = value;
            }
        }

        return [.. environment.Select(e => e.Key + "=" + e.Value)];
    }
}
