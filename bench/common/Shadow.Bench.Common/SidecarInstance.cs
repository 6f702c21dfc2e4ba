using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Shadow.Bench.Common;

/// <summary>One running sidecar process on <c>http://127.0.0.1:0</c>; knows its address once it printed the listening line.</summary>
public sealed class SidecarInstance : IAsyncDisposable
{
    private const string ListeningMarker = "SHADOW_SIDECAR_LISTENING ";

    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private SidecarInstance(Process process)
    {
        _process = process;
    }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Everything the process wrote so far (for failure messages).</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Spawns the sidecar (with <paramref name="extraArgs"/> appended); returns as soon as the process exists (not when it listens).</summary>
    public static SidecarInstance Spawn(string path, string workspace, string stateDir, string token, params string[] extraArgs)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var isDll = path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase);
        var psi = new ProcessStartInfo(isDll ? "dotnet" : path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = System.IO.Path.GetDirectoryName(path)!,
        };
        if (isDll)
        {
            psi.ArgumentList.Add(path);
        }

        foreach (var arg in (string[])["--workspace", workspace, "--state-dir", stateDir, "--urls", "http://127.0.0.1:0", .. extraArgs])
        {
            psi.ArgumentList.Add(arg);
        }

        psi.Environment["SHADOW_SIDECAR_TOKEN"] = token;
        psi.Environment["DOTNET_ENVIRONMENT"] = "Production";
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";

        var instance = new SidecarInstance(new Process { StartInfo = psi, EnableRaisingEvents = true });
        instance.Start();
        return instance;
    }

    /// <summary>Waits for the listening line and returns the base address.</summary>
    public async Task<Uri> WaitListeningAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            return await _listening.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new BenchException($"The sidecar (pid {ProcessId}) did not print '{ListeningMarker.Trim()}' within {timeout.TotalSeconds:0} s. Output:\n{Output}");
        }
    }

    /// <summary>Resident set size and its peak, in bytes, from <c>/proc/&lt;pid&gt;/status</c>.</summary>
    public (long Rss, long Peak) ReadMemory() => ProcMemory.Read(ProcessId);

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync().ConfigureAwait(false);
        _process.Dispose();
    }

    private void Start()
    {
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            Append(e.Data);
            if (e.Data.StartsWith(ListeningMarker, StringComparison.Ordinal))
            {
                _listening.TrySetResult(new Uri(e.Data[ListeningMarker.Length..].Trim().TrimEnd('/') + "/"));
            }
        };
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                Append(e.Data);
            }
        };
        _process.Exited += (_, _) => _listening.TrySetException(
            new BenchException($"The sidecar exited (code {SafeExitCode()}) before listening. Output:\n{Output}"));
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    private string SafeExitCode()
    {
        try
        {
            return _process.ExitCode.ToString(CultureInfo.InvariantCulture);
        }
        catch (InvalidOperationException)
        {
            return "?";
        }
    }

    private void Append(string line)
    {
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}

