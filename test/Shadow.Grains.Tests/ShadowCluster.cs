using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Reminders;
using Orleans.TestingHost;
using Shadow.Grains.Abstractions.Serialization;
using Shadow.Grains.Abstractions.Tasks;
using Shadow.Grains.Hosting;
using Shadow.Grains.Runtime;
using Shadow.Grains.Runtime.Local;
using Shadow.Grains.Sidecar;
using Shadow.Grains.Storage.PostgreSql;
using Shadow.Grains.Tests.Storage.PostgreSql;
using Shadow.Testing;
using Shouldly;

namespace Shadow.Grains.Tests;

/// <summary>
/// A real Shadow silo for end-to-end grain tests: <see cref="InProcessTestCluster"/> with the durable local store on a temp
/// data folder and the Local runtime (real sidecar processes), plus bare git remotes on disk. <see cref="RestartAsync"/>
/// stops the whole cluster and starts a new one on the same data folder, like a host restart.
/// </summary>
public sealed class ShadowCluster : IAsyncDisposable
{
    /// <summary>The default agent of test clusters: it answers every turn with text and touches nothing.</summary>
    public const string QuietScript = """{ "turns": [ { "text": "Nothing to do." } ] }""";

    private readonly Dictionary<string, string?> _settings;
    private readonly TimeProvider? _time;
    private readonly bool _tcp;
    private readonly int _silos;
    private readonly string _serviceId = "shadow-test-" + Guid.NewGuid().ToString("N")[..8];

    private ShadowCluster(TempDirectory root, Dictionary<string, string?> settings, TimeProvider? time, bool tcp, int silos)
    {
        Root = root;
        _settings = settings;
        _time = time;
        _tcp = tcp;
        _silos = silos;
    }

    public TempDirectory Root { get; }

    public string DataDir => Root.Combine("data");

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public IClusterClient Client => Cluster.Client;

    /// <summary>Every reminder tick the silo's grains handled (see <see cref="ReminderTicks"/>).</summary>
    public ReminderTicks ReminderTicks { get; } = new();

    /// <summary>Starts a one-silo cluster; <paramref name="settings"/> override Shadow's configuration (e.g. <c>Shadow:Runtime:Local:WarmPoolSize</c>).</summary>
    /// <param name="settings">Configuration overrides.</param>
    /// <param name="time">
    /// A clock (e.g. a <c>FakeTimeProvider</c>) for what the grains see: their <see cref="TimeProvider"/>, their timers and the
    /// reminders. Orleans' own background areas (membership, messaging, activation collection) and Shadow's infrastructure
    /// (the local runtime's process waits, the sidecar client's timeouts and retries) stay on real time: they wait on real
    /// processes and sockets.
    /// </param>
    /// <param name="tcp">Whether the silo and the test client talk over TCP sockets instead of the in-memory transport, so a client
    /// in another host can connect to <see cref="GatewayPort"/>.</param>
    /// <param name="silos">How many silos. With <c>Shadow:Storage:Kind=PostgreSql</c> in <paramref name="settings"/>, membership is kept in
    /// that database too (the AdoNet clustering provider), as in production.</param>
    public static async Task<ShadowCluster> StartAsync(IDictionary<string, string?>? settings = null, TimeProvider? time = null, bool tcp = false, int silos = 1)
    {
        var root = new TempDirectory("shadow-grains");
        // Unless a test brings its own agent, the first turn answers at once and changes nothing.
        var quiet = root.Combine("quiet-agent.json");
        File.WriteAllText(quiet, QuietScript);
        var all = new Dictionary<string, string?>
        {
            ["Shadow:DataDir"] = root.Combine("data"),
            ["Shadow:Agent:Provider"] = "Scripted",
            ["Shadow:Agent:ScriptPath"] = quiet,
            ["Shadow:Runtime:Local:WarmPoolSize"] = "0",
            ["Shadow:Workspace:HealthInterval"] = "00:00:00.500",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        var cluster = new ShadowCluster(root, all, time, tcp, silos);
        await cluster.DeployAsync();
        return cluster;
    }

    /// <summary>Stops every silo and starts a new cluster on the same data folder.</summary>
    public async Task RestartAsync()
    {
        await StopAsync();
        await DeployAsync();
    }

    /// <summary>A bare remote under the test folder holding <paramref name="files"/> on <paramref name="branch"/>.</summary>
    public string CreateRemote(string name, IReadOnlyDictionary<string, string>? files = null, string branch = "main") =>
        GitRepos.CreateBareRemote(Root.Combine("remotes", name + ".git"), files ?? new Dictionary<string, string> { ["README.md"] = "# hello\n" }, branch);

    public ITaskGrain Task(string id) => Client.GetGrain<ITaskGrain>(id);

    public IWorkspaceRuntime Runtime => Cluster.Silos[0].ServiceProvider.GetRequiredService<IWorkspaceRuntime>();

    /// <summary>The cluster's service id (the same across <see cref="RestartAsync"/>), for a client of its own.</summary>
    public string ServiceId => _serviceId;

    /// <summary>The cluster id (equal to <see cref="ServiceId"/>).</summary>
    public string ClusterId => _serviceId;

    /// <summary>The TCP port of the (first) silo's gateway, where an outside <c>UseLocalhostClustering</c> client connects.</summary>
    public int GatewayPort => Cluster.Silos[0].ServiceProvider.GetRequiredService<IOptions<EndpointOptions>>().Value.GatewayPort;

    /// <summary>Creates a task and waits until its init ends (idle or failed).</summary>
    public async Task<TaskSnapshot> CreateAndWaitAsync(string id, string repoUrl, string? baseBranch = null, string prompt = "do the thing", string owner = "alice")
    {
        var created = await Task(id).CreateAsync(new CreateTaskCommand(owner, repoUrl, baseBranch, prompt));
        created.Status.ShouldBe(ShadowTaskStatus.Initializing);
        return await WaitForInitAsync(id);
    }

    /// <summary>Waits (bounded) until the task's init and the turn it starts for the prompt have ended.</summary>
    public Task<TaskSnapshot> WaitForInitAsync(string id, TimeSpan? timeout = null) => WaitForInitAsync(Task(id), timeout);

    /// <summary>Waits (bounded) until <paramref name="task"/> is no longer initializing nor running its first turn, through any client
    /// (also an external SDK one).</summary>
    public static async Task<TaskSnapshot> WaitForInitAsync(ITaskGrain task, TimeSpan? timeout = null)
    {
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        var limit = timeout ?? TimeSpan.FromSeconds(90);
        while (true)
        {
            var snapshot = await task.GetAsync();
            if (snapshot.Status is not (ShadowTaskStatus.Initializing or ShadowTaskStatus.Running))
            {
                return snapshot;
            }

            if (deadline.Elapsed > limit)
            {
                throw new TimeoutException($"Task {snapshot.Id} still initializing after {limit}: {string.Join(", ", snapshot.InitSteps.Select(s => $"{s.Step}={s.Status}"))}");
            }

            await System.Threading.Tasks.Task.Delay(25);
        }
    }

    private async Task DeployAsync()
    {
        var builder = new InProcessTestClusterBuilder((short)_silos);
        builder.Options.ConfigureFileLogging = false;
        // The same ids on every restart: the local store keys state and reminders by service id.
        builder.Options.ServiceId = _serviceId;
        builder.Options.ClusterId = _serviceId;
        builder.ConfigureSiloHost((_, host) =>
        {
            host.Configuration.AddInMemoryCollection(_settings);
            if (_tcp)
            {
                host.ConfigureContainer(new RealSocketTransport(validate: true));
            }
        });
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddShadowGrains(silo.Configuration);
            if (_settings.GetValueOrDefault("Shadow:Storage:Kind") == ShadowStorageOptions.PostgreSqlKind)
            {
                silo.UseShadowPostgreSqlClustering(_settings["Shadow:Storage:ConnectionString"]!);
            }

            silo.AddIncomingGrainCallFilter(ReminderTicks);
            if (_time is not null)
            {
                UseClockForGrains(silo.Services, _time);
            }
        });
        if (_tcp)
        {
            builder.ConfigureClientHost(host => host.ConfigureContainer(new RealSocketTransport(validate: true)));
        }

        var postgres = _settings.GetValueOrDefault("Shadow:Storage:Kind") == ShadowStorageOptions.PostgreSqlKind
            ? _settings["Shadow:Storage:ConnectionString"]
            : null;
        if (postgres is not null)
        {
            TestClusterMembership.UseConfiguredClustering(builder.Options);
        }

        builder.ConfigureClient(client =>
        {
            client.Services.AddShadowSerialization();
            if (postgres is not null)
            {
                client.UseShadowPostgreSqlClustering(postgres);
            }
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    /// <summary>
    /// <paramref name="time"/> becomes the grains' clock (the default <see cref="TimeProvider"/>, which grain timers use too) and
    /// the reminders' clock; everything that waits on the real world keeps <see cref="TimeProvider.System"/>.
    /// </summary>
    private static void UseClockForGrains(IServiceCollection services, TimeProvider time)
    {
        services.Replace(ServiceDescriptor.Singleton(time));
        services.AddKeyedSingleton(ReminderTimeProviderNames.Reminders, time);
        services.UseTimeProviderForBackgroundAreas(TimeProvider.System);

        // Shadow's infrastructure reads the default TimeProvider: give it real time explicitly.
        services.Replace(ServiceDescriptor.Singleton(sp => new LocalProcessRuntime(
            sp.GetRequiredService<IOptions<LocalRuntimeOptions>>(),
            sp.GetRequiredService<IOptions<ShadowOptions>>(),
            TimeProvider.System,
            sp.GetRequiredService<ILogger<LocalProcessRuntime>>())));
        services.Replace(ServiceDescriptor.Singleton(sp => new SidecarClientFactory(
            sp.GetRequiredService<IOptions<SidecarClientOptions>>(),
            sp.GetRequiredService<IOptionsMonitor<SidecarChaosOptions>>(),
            TimeProvider.System,
            sp.GetService<ILoggerFactory>())));
    }

    private async Task StopAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        finally
        {
            Root.Dispose();
        }
    }
}
