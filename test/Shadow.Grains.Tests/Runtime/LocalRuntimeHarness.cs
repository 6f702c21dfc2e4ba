using System.Diagnostics;
using System.Net.Http.Headers;
using Microsoft.Extensions.Options;
using Shadow.Grains.Hosting;
using Shadow.Grains.Runtime;
using Shadow.Grains.Runtime.Local;
using Shadow.Grains.Sidecar;
using Shadow.Testing;

namespace Shadow.Grains.Tests.Runtime;

/// <summary>
/// A <see cref="LocalProcessRuntime"/> on a fresh data folder, starting the freshly built sidecar (never a possibly stale
/// AOT publish); disposing ends its sidecars and removes the folder.
/// </summary>
public sealed class LocalRuntimeHarness : IAsyncDisposable
{
    private LocalRuntimeHarness(TempDirectory data, LocalRuntimeOptions options)
    {
        Data = data;
        Options = options;
        Runtime = new LocalProcessRuntime(Microsoft.Extensions.Options.Options.Create(options),
            Microsoft.Extensions.Options.Options.Create(new ShadowOptions { DataDir = data.Path }), TimeProvider.System, Logger);
    }

    public TempDirectory Data { get; }

    public LocalRuntimeOptions Options { get; }

    public CollectingLogger<LocalProcessRuntime> Logger { get; } = new();

    public LocalProcessRuntime Runtime { get; }

    public ClientHarness Clients { get; } = new();

    public static LocalRuntimeHarness Create(int warmPoolSize = 0, TempDirectory? data = null) =>
        new(data ?? new TempDirectory("shadow-local"), new LocalRuntimeOptions
        {
            SidecarPath = SidecarProcess.SidecarDll,
            WarmPoolSize = warmPoolSize,
            StopGracePeriod = TimeSpan.FromSeconds(5),
        });

    public SidecarClient Client(WorkspaceHandle handle) => Clients.Client(new SidecarEndpoint(handle.BaseAddress, handle.Token));

    public static HttpClient Http(WorkspaceHandle handle, bool authenticated = true)
    {
        var http = new HttpClient { BaseAddress = handle.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        if (authenticated)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", handle.Token);
        }

        return http;
    }

    /// <summary>Whether <paramref name="pid"/> runs (not a zombie).</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[stat.LastIndexOf(')') + 2] is not ('Z' or 'X');
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Waits (bounded) until <paramref name="pid"/> is gone; false if it still runs after <paramref name="limit"/>.</summary>
    public static async Task<bool> WaitGoneAsync(int pid, TimeSpan limit, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        while (IsAlive(pid))
        {
            if (stopwatch.Elapsed > limit)
            {
                return false;
            }

            await Task.Delay(20, cancellationToken);
        }

        return true;
    }

    /// <summary>SIGKILL, like a crash.</summary>
    public static void Kill(int pid)
    {
        using var process = Process.GetProcessById(pid);
        process.Kill();
    }

    public async ValueTask DisposeAsync()
    {
        await Runtime.DisposeAsync();
        Clients.Dispose();
        Data.Dispose();
    }
}
