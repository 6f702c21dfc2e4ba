using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Shadow.Grains.Hosting;

namespace Shadow.Bench.Agent;

/// <summary>
/// A real Shadow silo in this process, as Shadow.Silo builds it (<c>UseShadowSilo</c>): the durable SQLite store in a temp
/// data folder, the Local runtime spawning the Native AOT sidecar, localhost clustering on free ports, and the Scripted agent.
/// The bench talks to it through the co-hosted cluster client (no network hop), so what it times is the grains' own work.
/// </summary>
internal sealed class SiloHost : IAsyncDisposable
{
    private readonly IHost _host;

    private SiloHost(IHost host, string dataDir)
    {
        _host = host;
        DataDir = dataDir;
    }

    public string DataDir { get; }

    public IClusterClient Client => _host.Services.GetRequiredService<IClusterClient>();

    public IServiceProvider Services => _host.Services;

    public static async Task<SiloHost> StartAsync(string dataDir, string sidecarPath, string scriptPath, int maxSteps, CancellationToken cancellationToken)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Shadow:DataDir"] = dataDir,
            ["Shadow:Orleans:SiloPort"] = FreePort().ToString(CultureInfo.InvariantCulture),
            ["Shadow:Orleans:GatewayPort"] = FreePort().ToString(CultureInfo.InvariantCulture),
            ["Shadow:Orleans:ClusterId"] = "agent-bench",
            ["Shadow:Orleans:ServiceId"] = "agent-bench",
            ["Shadow:Runtime:Kind"] = "Local",
            ["Shadow:Runtime:Local:SidecarPath"] = sidecarPath,
            ["Shadow:Runtime:Local:WarmPoolSize"] = "0",
            ["Shadow:Storage:Kind"] = "Local",
            // The bench's remote is a bare repository on this disk (outside the data folder, as RemotePolicy requires).
            ["Shadow:Git:AllowLocalRemotes"] = "true",
            ["Shadow:Agent:Provider"] = "Scripted",
            ["Shadow:Agent:ScriptPath"] = scriptPath,
            ["Shadow:Agent:MaxStepsPerTurn"] = maxSteps.ToString(CultureInfo.InvariantCulture),
            ["Logging:LogLevel:Default"] = "Warning",
        };
        Directory.CreateDirectory(dataDir);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = [],
            EnvironmentName = Environments.Production,
            ContentRootPath = dataDir,
        });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.UseOrleans(silo => silo.UseShadowSilo(builder.Configuration));
        var host = builder.Build();
        await host.StartAsync(cancellationToken);
        return new SiloHost(host, dataDir);
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await _host.StopAsync(timeout.Token);
        }
        finally
        {
            _host.Dispose();
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
