using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Serialization;
using Shadow.Gateway.Tests.Fakes;
using Shadow.Testing;

namespace Shadow.Gateway.Tests;

/// <summary>
/// The gateway with its co-hosted silo on free ports, a temp data dir and two users. With <c>fakeGrains</c> the silo runs
/// the in-memory grains of <c>Fakes/</c> instead of the real ones (gateway behaviour only); without, the real grains.
/// </summary>
public class GatewayFactory(bool fakeGrains = true, IReadOnlyDictionary<string, string?>? settings = null) : WebApplicationFactory<Program>
{
    public const string AliceKey = "alice-key-0123456789abcdef";
    public const string BobKey = "bob-key-0123456789abcdef0";
    public const string Alice = "alice";
    public const string Bob = "bob";

    private readonly TempDirectory _dataDir = new("shadow-gw");

    public string DataDir => _dataDir.Path;

    public HttpClient CreateClient(string? apiKey)
    {
        var client = CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = true });
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        }

        return client;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        var (siloPort, gatewayPort) = (FreePort(), FreePort());
        builder.UseEnvironment("Testing");
        builder.UseSetting("Shadow:DataDir", _dataDir.Path);
        builder.UseSetting("Shadow:Orleans:SiloPort", siloPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.UseSetting("Shadow:Orleans:GatewayPort", gatewayPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.UseSetting("Shadow:Orleans:ClusterId", $"gw-test-{Guid.NewGuid():N}");
        // The scripted demo agent, whatever keys the machine's environment holds.
        builder.UseSetting("Shadow:Agent:Provider", "Scripted");
        if (settings is null || !settings.Keys.Any(k => k.StartsWith("Shadow:Auth", StringComparison.Ordinal)))
        {
            builder.UseSetting($"Shadow:Auth:ApiKeys:{AliceKey}", Alice);
            builder.UseSetting($"Shadow:Auth:ApiKeys:{BobKey}", Bob);
        }

        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureServices(services =>
        {
            var fakes = typeof(FakeTaskGrain).Assembly;
            services.AddSerializer(s => s.AddAssembly(fakes));
            // Exactly one implementation of each grain interface: the fakes, or the real grains.
            services.PostConfigure<GrainTypeOptions>(o => o.Classes.RemoveWhere(t =>
                fakeGrains ? t.Assembly != fakes && IsShadowGrain(t) : t.Assembly == fakes));
        });
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            _dataDir.Dispose();
        }
    }

    private static bool IsShadowGrain(Type type) =>
        type.GetInterfaces().Any(i => i.Namespace?.StartsWith("Shadow.Grains.Abstractions", StringComparison.Ordinal) == true);

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
