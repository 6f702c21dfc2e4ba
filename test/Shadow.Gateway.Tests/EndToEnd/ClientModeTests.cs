using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Shadow.Grains.Hosting;
using Shadow.Testing;

namespace Shadow.Gateway.Tests.EndToEnd;

/// <summary>
/// <c>Shadow:Orleans:Mode=Client</c>: the gateway co-hosts no silo; it finds a Shadow silo (its own host here, on real TCP) in the
/// PostgreSQL membership table and serves the same API through it.
/// </summary>
public sealed class ClientModeTests
{
    [Fact]
    public async Task ClientMode_AgainstAPostgreSqlSilo_ServesHealthAndTasks()
    {
        var server = await TestPostgres.GetAsync();
        if (server.UnavailableReason is { } reason)
        {
            Assert.Skip(reason);
        }

        var connectionString = await server.CreateDatabaseAsync("gwclient");
        using var root = new TempDirectory("shadow-gw-client");
        var quiet = root.Combine("quiet.json");
        await File.WriteAllTextAsync(quiet, """{ "turns": [ { "text": "Nothing to do." } ] }""", Http.Ct);
        var ids = $"gwc-{Guid.NewGuid():N}"[..16];
        using var silo = await StartSiloAsync(new Dictionary<string, string?>
        {
            ["Shadow:DataDir"] = root.Combine("silo-data"),
            ["Shadow:Storage:Kind"] = "PostgreSql",
            ["Shadow:Storage:ConnectionString"] = connectionString,
            ["Shadow:Orleans:ClusterId"] = ids,
            ["Shadow:Orleans:ServiceId"] = ids,
            ["Shadow:Orleans:SiloPort"] = FreePort().ToString(CultureInfo.InvariantCulture),
            ["Shadow:Orleans:GatewayPort"] = FreePort().ToString(CultureInfo.InvariantCulture),
            ["Shadow:Orleans:AdvertisedIPAddress"] = "127.0.0.1",
            ["Shadow:Agent:Provider"] = "Scripted",
            ["Shadow:Agent:ScriptPath"] = quiet,
            ["Shadow:Runtime:Local:WarmPoolSize"] = "0",
        });

        await using var gateway = new GatewayFactory(fakeGrains: false, new Dictionary<string, string?>
        {
            ["Shadow:Orleans:Mode"] = "Client",
            ["Shadow:Storage:Kind"] = "PostgreSql",
            ["Shadow:Storage:ConnectionString"] = connectionString,
            ["Shadow:Orleans:ClusterId"] = ids,
            ["Shadow:Orleans:ServiceId"] = ids,
        });
        using var alice = gateway.CreateClient(GatewayFactory.AliceKey);

        using (var health = await alice.GetAsync("/healthz", Http.Ct))
        {
            var body = await health.Content.ReadAsStringAsync(Http.Ct);
            health.StatusCode.ShouldBe(HttpStatusCode.OK, body);
            body.ShouldContain("client of 1 active silo");
        }

        var remote = GitRepos.CreateBareRemote(root.Combine("r.git"), new Dictionary<string, string> { ["a.txt"] = "alpha\n" });
        using var created = await alice.PostAsJsonAsync("/api/tasks", new { repoUrl = remote, baseBranch = "main", prompt = "through the client" }, Http.Ct);
        created.StatusCode.ShouldBe(HttpStatusCode.Created, await created.Content.ReadAsStringAsync(Http.Ct));
        var location = created.Headers.Location!.ToString();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (true)
        {
            using var response = await alice.GetAsync(location, Http.Ct);
            var task = await response.ReadObjectAsync();
            var status = task["status"]!.GetValue<string>();
            if (status is not ("initializing" or "running"))
            {
                status.ShouldBe("idle", task.ToJsonString());
                break;
            }

            DateTime.UtcNow.ShouldBeLessThan(deadline, task.ToJsonString());
            await Task.Delay(100, Http.Ct);
        }

        using var read = await alice.GetAsync($"{location}/workspace/files/read?path=a.txt", Http.Ct);
        (await read.ReadObjectAsync())["content"]!.GetValue<string>().ShouldBe("alpha\n");
        using var messages = await alice.GetAsync($"{location}/messages", Http.Ct);
        (await messages.Content.ReadAsStringAsync(Http.Ct)).ShouldContain("through the client");

        // The silo goes away: the client-mode gateway says so instead of hanging.
        await silo.StopAsync(Http.Ct);
        using var down = await alice.GetAsync("/healthz", Http.Ct);
        down.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
    }

    private static async Task<IHost> StartSiloAsync(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.UseOrleans(silo => silo.UseShadowSilo(builder.Configuration));
        var host = builder.Build();
        await host.StartAsync(Http.Ct);
        return host;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
