using System.Collections;
using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;

namespace Shadow.Grains.Runtime.Local;

/// <summary>
/// One sidecar child process: started with an explicit environment (the token travels only there), its stdout/stderr
/// drained for its whole life with the last lines kept for error messages, its listening line turned into a base address.
/// </summary>
internal sealed class SidecarChild : IDisposable
{
    /// <summary>The variable the sidecar reads its bearer token from.</summary>
    public const string TokenVariable = "SHADOW_SIDECAR_TOKEN";

    /// <summary>What the sidecar prints on stdout once it listens, followed by its address.</summary>
    public const string ListeningMarker = "SHADOW_SIDECAR_LISTENING ";

    private const int MaxLines = 50;

    // What a sidecar needs to run and to run git and commands for the workspace; nothing else of the host's environment
    // (Shadow__* settings, provider API keys, cloud credentials) reaches it.
    private static readonly string[] PassedVariables =
        ["PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "SSL_CERT_FILE", "SSL_CERT_DIR"];

    private readonly Queue<string> _lines = new();
    private readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Process _process;

    private SidecarChild(Process process, string instanceId, string workspace, string stateDir, string token)
    {
        _process = process;
        InstanceId = instanceId;
        Workspace = workspace;
        StateDir = stateDir;
        Token = token;
    }

    public string InstanceId { get; }

    public string Workspace { get; }

    public string StateDir { get; }

    public string Token { get; }

    public int ProcessId { get; private set; }

    /// <summary>Field 22 of <c>/proc/PID/stat</c> right after the start; null if the process was already gone.</summary>
    public string? StartTime { get; private set; }

    /// <summary>The runtime's record of this child (see <see cref="RuntimeRecords"/>).</summary>
    public string? RecordPath { get; set; }

    /// <summary>Where the sidecar listens; null until it said so.</summary>
    public Uri? BaseAddress => _listening.Task.IsCompletedSuccessfully ? _listening.Task.Result : null;

    /// <summary>
    /// Whether the process ended: reaped, or already a zombie (or gone) in <c>/proc</c>, so a child killed a moment ago
    /// does not pass for running until .NET has reaped it.
    /// </summary>
    public bool HasExited
    {
        get
        {
            try
            {
                if (_process.HasExited)
                {
                    return true;
                }
            }
            catch (InvalidOperationException)
            {
                return true;
            }

            return StartTime is { } start && !UnixProcess.IsRunning(ProcessId, start);
        }
    }

    /// <summary>The last lines the process wrote (stdout and stderr interleaved), token redacted.</summary>
    public string LastOutput
    {
        get
        {
            lock (_lines)
            {
                return string.Join('\n', _lines);
            }
        }
    }

    /// <summary>
    /// Starts <paramref name="sidecarPath"/> (a .dll through <c>dotnet</c>, else the binary itself) on the folders; throws
    /// <see cref="InvalidOperationException"/> when the program cannot be started at all.
    /// </summary>
    public static SidecarChild Start(string sidecarPath, string instanceId, string workspace, string stateDir, string token, string sandbox,
        string sandboxNetwork, Action<SidecarChild> onExited)
    {
        var isAssembly = SidecarLocator.IsAssembly(sidecarPath);
        var psi = new ProcessStartInfo(isAssembly ? SidecarLocator.DotnetHost() : sidecarPath)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            // The sidecar reads appsettings.json from its content root (the working folder): its own, never the host's
            // nor one planted in a workspace.
            WorkingDirectory = Path.GetDirectoryName(sidecarPath) ?? "/",
        };
        if (isAssembly)
        {
            psi.ArgumentList.Add(sidecarPath);
        }

        string[] args =
        [
            "--workspace", workspace,
            "--state-dir", stateDir,
            "--urls", "http://127.0.0.1:0",
            "--parent-pid", Environment.ProcessId.ToString(CultureInfo.InvariantCulture),
            "--sandbox", sandbox,
            "--sandbox-network", sandboxNetwork,
        ];
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }

        psi.Environment.Clear();
        foreach (var (name, value) in ChildEnvironment(Environment.GetEnvironmentVariables()))
        {
            psi.Environment[name] = value;
        }

        psi.Environment[TokenVariable] = token;

        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var child = new SidecarChild(process, instanceId, workspace, stateDir, token);
        process.OutputDataReceived += (_, e) => child.OnOutput(e.Data, stdout: true);
        process.ErrorDataReceived += (_, e) => child.OnOutput(e.Data, stdout: false);
        process.Exited += (_, _) =>
        {
            child._listening.TrySetException(new InvalidOperationException("The sidecar exited before it listened."));
            onExited(child);
        };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            process.Dispose();
            throw new InvalidOperationException($"Cannot start the sidecar '{psi.FileName}' ({e.Message}); check {SidecarLocator.SettingName}.", e);
        }

        child.ProcessId = process.Id;
        child.StartTime = UnixProcess.StartTime(process.Id);
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>The variables of <paramref name="host"/> a child may see: <see cref="PassedVariables"/> and the .NET runtime's own <c>DOTNET_*</c>.</summary>
    public static IEnumerable<KeyValuePair<string, string>> ChildEnvironment(IDictionary host)
    {
        ArgumentNullException.ThrowIfNull(host);
        foreach (DictionaryEntry entry in host)
        {
            if (entry.Key is string name && entry.Value is string value
                && (PassedVariables.Contains(name, StringComparer.Ordinal) || name.StartsWith("DOTNET_", StringComparison.Ordinal)))
            {
                yield return new(name, value);
            }
        }
    }

    /// <summary>Waits for the listening line; <see cref="TimeoutException"/> after <paramref name="timeout"/>.</summary>
    public Task<Uri> WaitUntilListeningAsync(TimeSpan timeout, TimeProvider timeProvider, CancellationToken cancellationToken) =>
        _listening.Task.WaitAsync(timeout, timeProvider, cancellationToken);

    /// <summary>Why it ended: exit code (and signal) plus the last lines it wrote.</summary>
    public string ExitDetail()
    {
        int code;
        try
        {
            code = _process.ExitCode;
        }
        catch (InvalidOperationException)
        {
            return "The sidecar process is gone.";
        }

        // .NET reports a process killed by signal N as 128 + N.
        var signal = code > 128 ? string.Create(CultureInfo.InvariantCulture, $" (signal {code - 128})") : string.Empty;
        var output = LastOutput;
        return string.Create(CultureInfo.InvariantCulture,
            $"The sidecar exited with code {code}{signal}.{(output.Length > 0 ? " Last output:\n" + output : " It wrote nothing.")}");
    }

    /// <summary>
    /// Ends the process: SIGTERM (the sidecar stops its commands and flushes), then SIGKILL after <paramref name="grace"/> or
    /// once <paramref name="cancellationToken"/> fires. Answers once it is gone.
    /// </summary>
    public async Task StopAsync(TimeSpan grace, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        if (!HasExited && grace > TimeSpan.Zero && UnixProcess.Signal(ProcessId, UnixProcess.SigTerm))
        {
            try
            {
                await _process.WaitForExitAsync(cancellationToken).WaitAsync(grace, timeProvider, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (e is TimeoutException or OperationCanceledException)
            {
                // Too slow, or no time left: kill it.
            }
        }

        if (!HasExited)
        {
            try
            {
                _process.Kill();
            }
            catch (Exception e) when (e is InvalidOperationException or Win32Exception)
            {
                // Exited in the meantime.
            }
        }

        await WaitForExitAsync(TimeSpan.FromSeconds(10), timeProvider).ConfigureAwait(false);
    }

    /// <summary>Waits until the process is gone and its output read, at most <paramref name="limit"/> (a grandchild may hold the pipes).</summary>
    public async Task WaitForExitAsync(TimeSpan limit, TimeProvider timeProvider)
    {
        try
        {
            await _process.WaitForExitAsync().WaitAsync(limit, timeProvider).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Exited but its pipes are still open elsewhere; what was read so far has to do.
        }
        catch (InvalidOperationException)
        {
            // Already disposed: nothing left to wait for.
        }
    }

    public void Dispose() => _process.Dispose();

    private void OnOutput(string? line, bool stdout)
    {
        if (line is null)
        {
            return;
        }

        if (stdout && !_listening.Task.IsCompleted && line.StartsWith(ListeningMarker, StringComparison.Ordinal)
            && Uri.TryCreate(line[ListeningMarker.Length..].Trim().TrimEnd('/') + "/", UriKind.Absolute, out var address))
        {
            _listening.TrySetResult(address);
        }

        // The sidecar never prints its token; redact anyway, since these lines end up in statuses and exceptions.
        var kept = line.Contains(Token, StringComparison.Ordinal) ? line.Replace(Token, "[token]", StringComparison.Ordinal) : line;
        lock (_lines)
        {
            if (_lines.Count == MaxLines)
            {
                _lines.Dequeue();
            }

            _lines.Enqueue(kept);
        }
    }
}
