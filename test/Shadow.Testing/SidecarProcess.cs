using System.Diagnostics;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Shadow.Grains.Runtime.Local;

namespace Shadow.Testing;

/// <summary>
/// A real <c>Shadow.Sidecar</c> process on loopback (ephemeral port), serving a workspace folder. Tests talk to it over
/// real HTTP; <see cref="RestartAsync"/> kills and starts it again on the same workspace and state folder.
/// </summary>
public sealed class SidecarProcess : IAsyncDisposable
{
    private readonly StringBuilder _output = new();
    private readonly string[] _extraArgs;
    private IReadOnlyDictionary<string, string> _environment = new Dictionary<string, string>();
    private Process? _process;

    private SidecarProcess(string workspace, string stateDir, string token, string[] extraArgs)
    {
        Workspace = workspace;
        StateDir = stateDir;
        Token = token;
        _extraArgs = extraArgs;
    }

    public string Workspace { get; }

    public string StateDir { get; }

    public string Token { get; }

    public Uri BaseAddress { get; private set; } = new("http://127.0.0.1/");

    public int ProcessId => _process?.Id ?? 0;

    /// <summary>Everything the process wrote to stdout and stderr so far (for failure messages).</summary>
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

    /// <summary>Starts a sidecar on <paramref name="workspace"/>; extra args are appended (e.g. <c>--Sidecar:Terminal:MaxEntries=10</c>).</summary>
    public static async Task<SidecarProcess> StartAsync(string workspace, string? stateDir = null, string? token = null,
        CancellationToken cancellationToken = default, params string[] extraArgs)
    {
        stateDir ??= System.IO.Path.Combine(System.IO.Path.GetDirectoryName(workspace.TrimEnd('/'))!, System.IO.Path.GetFileName(workspace.TrimEnd('/')) + "-state");
        token ??= Convert.ToHexString(RandomNumberGenerator.GetBytes(24));
        var sidecar = new SidecarProcess(workspace, stateDir, token, extraArgs);
        await sidecar.StartProcessAsync(cancellationToken).ConfigureAwait(false);
        return sidecar;
    }

    /// <summary>Like <see cref="StartAsync"/>, with extra environment variables for the sidecar process (e.g. planted secrets).</summary>
    public static async Task<SidecarProcess> StartWithEnvironmentAsync(string workspace, string stateDir, IReadOnlyDictionary<string, string> environment,
        CancellationToken cancellationToken, params string[] extraArgs)
    {
        var sidecar = new SidecarProcess(workspace, stateDir, Convert.ToHexString(RandomNumberGenerator.GetBytes(24)), extraArgs) { _environment = environment };
        await sidecar.StartProcessAsync(cancellationToken).ConfigureAwait(false);
        return sidecar;
    }

    /// <summary>The sidecar's entry assembly (built by the project reference of Shadow.Testing).</summary>
    public static string SidecarDll { get; } = LocateSidecar();

    /// <summary>An HttpClient with the bearer token set.</summary>
    public HttpClient CreateHttpClient(bool authenticated = true)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        if (authenticated)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        }

        return client;
    }

    /// <summary>Starts the process and waits for its listening line.</summary>
    public static ProcessStartInfo CreateStartInfo(string workspace, string stateDir, string token, IEnumerable<string> extraArgs, string urls = "http://127.0.0.1:0")
    {
        var psi = new ProcessStartInfo(SidecarLocator.DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(SidecarDll);
        psi.ArgumentList.Add("--workspace");
        psi.ArgumentList.Add(workspace);
        psi.ArgumentList.Add("--state-dir");
        psi.ArgumentList.Add(stateDir);
        psi.ArgumentList.Add("--urls");
        psi.ArgumentList.Add(urls);
        foreach (var arg in extraArgs)
        {
            psi.ArgumentList.Add(arg);
        }

        psi.Environment["SHADOW_SIDECAR_TOKEN"] = token;
        psi.Environment["DOTNET_ENVIRONMENT"] = "Production";
        return psi;
    }

    private async Task StartProcessAsync(CancellationToken cancellationToken)
    {
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        var startInfo = CreateStartInfo(Workspace, StateDir, Token, _extraArgs);
        foreach (var (name, value) in _environment)
        {
            startInfo.Environment[name] = value;
        }

        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            Append(e.Data);
            const string Marker = "SHADOW_SIDECAR_LISTENING ";
            if (e.Data.StartsWith(Marker, StringComparison.Ordinal))
            {
                listening.TrySetResult(new Uri(e.Data[Marker.Length..].Trim().TrimEnd('/') + "/"));
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                Append(e.Data);
            }
        };
        process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException($"The sidecar exited before listening. Output:\n{Output}"));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        try
        {
            BaseAddress = await listening.Task.WaitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"The sidecar did not report listening within 30 s. Output:\n{Output}");
        }
    }

    private void Append(string line)
    {
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    /// <summary>Kills the process (SIGKILL, like a crash) and waits for it to go.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } p)
        {
            p.Kill(entireProcessTree: true);
            await p.WaitForExitAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Asks the process to stop gracefully (SIGTERM) and waits for it.</summary>
    public async Task StopGracefullyAsync(TimeSpan timeout)
    {
        if (_process is { HasExited: false } p)
        {
            using var kill = Process.Start("kill", ["-TERM", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            await kill.WaitForExitAsync().ConfigureAwait(false);
            using var cts = new CancellationTokenSource(timeout);
            await p.WaitForExitAsync(cts.Token).ConfigureAwait(false);
        }
    }

    public async Task RestartAsync(bool graceful = false, CancellationToken cancellationToken = default)
    {
        if (graceful)
        {
            await StopGracefullyAsync(TimeSpan.FromSeconds(20)).ConfigureAwait(false);
        }
        else
        {
            await KillAsync().ConfigureAwait(false);
        }

        _process?.Dispose();
        await StartProcessAsync(cancellationToken).ConfigureAwait(false);
    }

    public int? ExitCode => _process is { HasExited: true } p ? p.ExitCode : null;

    public async ValueTask DisposeAsync()
    {
        await KillAsync().ConfigureAwait(false);
        _process?.Dispose();
    }

    private static string LocateSidecar()
    {
        // Always the fresh build output of this checkout (never a Native AOT publish, which may be stale).
        var root = SidecarLocator.FindRepositoryRoot(AppContext.BaseDirectory)
            ?? throw new InvalidOperationException($"Cannot find Shadow.sln above {AppContext.BaseDirectory}.");
        return SidecarLocator.FindBuildOutput(root)
            ?? throw new FileNotFoundException($"Build the sidecar first: no {SidecarLocator.ProgramName}.dll under {System.IO.Path.Combine(root, "artifacts", "bin", SidecarLocator.ProgramName)}.");
    }
}
