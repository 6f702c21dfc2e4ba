using System.Net;
using System.Net.Sockets;
using Shadow.Testing;

namespace Shadow.Sidecar.Tests.Sandbox;

/// <summary>
/// Two real sidecars on their own workspaces, as two tasks of one host would have, both sandboxed with bubblewrap and
/// tight limits, started with planted secrets in their environment; next to them a "data folder" with a secret file and a
/// TCP listener standing in for the gateway's port.
/// </summary>
public sealed class SandboxFixture : IAsyncLifetime
{
    public const string DataSecret = "data-folder-secret-8f1c";
    public const string OtherSecret = "other-workspace-secret-2b7e";
    public const string ProviderKey = "sk-canary-provider-key-5d0a";
    public const string CloudSecret = "cloud-canary-secret-91c4";
    public const int MaxProcesses = 64;
    public const long MaxOutputBytes = 256 * 1024;

    private TempDirectory? _root;
    private TcpListener? _gateway;
    private int _gatewayAccepts;

    /// <summary>Why the tests cannot run here, or null when they can.</summary>
    public static string? SkipReason { get; } = FindOnPath("bwrap") is null
        ? "bubblewrap (bwrap) is not installed; .ci/run installs it (apt-get install bubblewrap)"
        : null;

    public SidecarProcess Sidecar { get; private set; } = null!;

    public SidecarProcess Other { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    public string Workspace => Sidecar.Workspace;

    public string DataFolder => _root!.Combine("data");

    public string OtherWorkspace => Other.Workspace;

    public int GatewayPort => ((IPEndPoint)_gateway!.LocalEndpoint).Port;

    public int GatewayAccepts => Volatile.Read(ref _gatewayAccepts);

    public string Root => _root!.Path;

    public async ValueTask InitializeAsync()
    {
        if (SkipReason is not null)
        {
            return;
        }

        _root = new TempDirectory("shadow-sandbox");
        Directory.CreateDirectory(DataFolder);
        await File.WriteAllTextAsync(Path.Combine(DataFolder, "grain-state.db"), DataSecret);
        _gateway = new TcpListener(IPAddress.Loopback, 0);
        _gateway.Start();
        _ = AcceptLoopAsync(_gateway);

        var environment = new Dictionary<string, string>
        {
            ["OPENAI_API_KEY"] = ProviderKey,
            ["AWS_SECRET_ACCESS_KEY"] = CloudSecret,
        };
        string[] args =
        [
            "--sandbox", "Bubblewrap",
            $"--Sidecar:Sandbox:MaxProcesses={MaxProcesses}",
            $"--Sidecar:Sandbox:MaxOutputBytes={MaxOutputBytes}",
            "--Sidecar:Sandbox:CpuSeconds=3",
            "--Sidecar:Sandbox:MemoryMiB=1024",
        ];
        Sidecar = await SidecarProcess.StartWithEnvironmentAsync(_root.CreateSubdirectory("workspaces/task-a"), _root.Combine("sidecar-state", "task-a"),
            environment, default, args);
        var other = _root.CreateSubdirectory("workspaces/task-b");
        await File.WriteAllTextAsync(Path.Combine(other, "secret.txt"), OtherSecret);
        Other = await SidecarProcess.StartWithEnvironmentAsync(other, _root.Combine("sidecar-state", "task-b"), environment, default, args);
        Http = Sidecar.CreateHttpClient();
    }

    public async ValueTask DisposeAsync()
    {
        Http?.Dispose();
        if (Sidecar is not null)
        {
            await Sidecar.DisposeAsync();
        }

        if (Other is not null)
        {
            await Other.DisposeAsync();
        }

        _gateway?.Dispose();
        _root?.Dispose();
    }

    private async Task AcceptLoopAsync(TcpListener listener)
    {
        try
        {
            while (true)
            {
                using var client = await listener.AcceptTcpClientAsync();
                Interlocked.Increment(ref _gatewayAccepts);
            }
        }
        catch (Exception e) when (e is ObjectDisposedException or SocketException)
        {
            // Disposed with the fixture.
        }
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
}
