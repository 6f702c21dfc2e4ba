using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Storage;
using Shadow.Bench.Common;
using Shadow.Grains;
using Shadow.Grains.Abstractions.Tasks;
using Shadow.Grains.Hosting;
using Shadow.Testing;

// Cluster benchmark: a grain state write on PostgreSQL (p50/p99) and N concurrent scripted tasks across 2 silos (throughput,
// p50/p99 of create -> idle). Failover time is measured with real processes by SiloFailoverTests. Prints numbers; not a test.
var writes = Arg("--writes", 2000);
var taskCount = Arg("--tasks", 50);

var postgres = await TestPostgres.GetAsync();
if (postgres.UnavailableReason is { } reason)
{
    Console.Error.WriteLine(reason);
    return 1;
}

var connectionString = await postgres.CreateDatabaseAsync("bench");
using var root = new TempDirectory("shadow-bench-cluster");
var script = root.Combine("agent.json");
await File.WriteAllTextAsync(script, """
    { "turns": [ { "toolCalls": [ { "id": "c1", "name": "list_dir", "arguments": { "path": "." } } ] }, { "text": "Done." } ] }
    """);
var ids = $"bench-{Guid.NewGuid():N}"[..16];
var silos = new List<IHost>();
for (var i = 0; i < 2; i++)
{
    silos.Add(await StartSiloAsync(i));
}

var storage = silos[0].Services.GetRequiredKeyedService<IGrainStorage>(StorageNames.Default);
var payload = new string('x', 1024);
var states = Enumerable.Range(0, 100).Select(_ => new GrainState<string>(payload)).ToArray();
for (var i = 0; i < 100; i++)
{
    await storage.WriteStateAsync("bench", GrainId.Create("bench", $"g{i}"), states[i]); // warm-up and first insert
}

var ticks = new long[writes];
for (var i = 0; i < writes; i++)
{
    var start = Stopwatch.GetTimestamp();
    await storage.WriteStateAsync("bench", GrainId.Create("bench", $"g{i % 100}"), states[i % 100]);
    ticks[i] = Stopwatch.GetTimestamp() - start;
}

var write = Stats.FromTicks(ticks);

using var client = await ConnectAsync();
var grains = client.Services.GetRequiredService<IClusterClient>();
var remote = GitRepos.CreateBareRemote(root.Combine("repo.git"), new Dictionary<string, string> { ["a.txt"] = "alpha\n" });
var clock = Stopwatch.StartNew();
var durations = await Task.WhenAll(Enumerable.Range(0, taskCount).Select(async i =>
{
    var started = Stopwatch.GetTimestamp();
    var task = grains.GetGrain<ITaskGrain>($"bench-{i}");
    await task.CreateAsync(new CreateTaskCommand("bench", remote, "main", "look around"));
    while ((await task.GetAsync()).Status is ShadowTaskStatus.Initializing or ShadowTaskStatus.Running)
    {
        await Task.Delay(50);
    }

    return Stopwatch.GetTimestamp() - started;
}));
var wall = clock.Elapsed;
var tasks = Stats.FromTicks(durations);

var sb = new StringBuilder();
sb.AppendLine(CultureInfo.InvariantCulture, $"cluster bench: 2 silos in one process, PostgreSQL {PostgreSqlDescription()}");
Table.Render(sb, ["measure", "p50 ms", "p99 ms", "n / throughput"],
[
    ["grain state write (1 KB, AdoNet on PostgreSQL)", Table.F(write.P50Ms, 2), Table.F(write.P99Ms, 2), $"{writes}"],
    [$"{taskCount} concurrent scripted tasks: create -> idle (clone, 1 tool call, commit check)", Table.F(tasks.P50Ms, 0), Table.F(tasks.P99Ms, 0),
        $"{taskCount / wall.TotalSeconds:F1} tasks/s"],
]);
Console.WriteLine(sb.ToString());

await client.StopAsync();
foreach (var silo in silos)
{
    await silo.StopAsync();
    silo.Dispose();
}

return 0;

string PostgreSqlDescription() => Shadow.Grains.Storage.PostgreSql.PostgreSqlSchema.Describe(connectionString);

async Task<IHost> StartSiloAsync(int index)
{
    var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
    builder.Configuration.AddInMemoryCollection(Settings(new Dictionary<string, string?>
    {
        ["Shadow:DataDir"] = root.Combine($"data-{index}"),
        ["Shadow:Orleans:SiloPort"] = FreePort().ToString(CultureInfo.InvariantCulture),
        ["Shadow:Orleans:GatewayPort"] = FreePort().ToString(CultureInfo.InvariantCulture),
        ["Shadow:Orleans:AdvertisedIPAddress"] = "127.0.0.1",
        ["Shadow:Agent:Provider"] = "Scripted",
        ["Shadow:Agent:ScriptPath"] = script,
        ["Shadow:Runtime:Local:WarmPoolSize"] = "0",
    }));
    builder.Logging.SetMinimumLevel(LogLevel.Warning);
    builder.UseOrleans(silo => silo.UseShadowSilo(builder.Configuration));
    var host = builder.Build();
    await host.StartAsync();
    return host;
}

async Task<IHost> ConnectAsync()
{
    var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
    builder.Configuration.AddInMemoryCollection(Settings([]));
    builder.Logging.SetMinimumLevel(LogLevel.Warning);
    builder.UseOrleansClient(c => c.UseShadowClusterClient(builder.Configuration));
    var host = builder.Build();
    await host.StartAsync();
    return host;
}

Dictionary<string, string?> Settings(Dictionary<string, string?> more)
{
    more["Shadow:Storage:Kind"] = "PostgreSql";
    more["Shadow:Storage:ConnectionString"] = connectionString;
    more["Shadow:Orleans:ClusterId"] = ids;
    more["Shadow:Orleans:ServiceId"] = ids;
    return more;
}

int Arg(string name, int fallback)
{
    var at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
}

static int FreePort()
{
    using var listener = new TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    return ((IPEndPoint)listener.LocalEndpoint).Port;
}
