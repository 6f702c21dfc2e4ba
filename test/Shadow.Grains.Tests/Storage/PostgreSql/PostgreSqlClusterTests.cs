using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Orleans.Storage;
using Orleans.TestingHost;
using Shadow.Grains.Abstractions.Serialization;
using Shadow.Grains.Abstractions.Tasks;
using Shadow.Grains.Storage.PostgreSql;
using Shadow.Grains.Tasks;
using Shouldly;

namespace Shadow.Grains.Tests.Storage.PostgreSql;

/// <summary>Grain state, the paged message log and reminders on a real PostgreSQL through the AdoNet providers, in 2-silo clusters.</summary>
public sealed class PostgreSqlClusterTests
{
    private readonly string _serviceId = $"pg-test-{Guid.NewGuid():N}"[..20];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<InProcessTestCluster> StartClusterAsync(string connectionString, short silos = 2)
    {
        var builder = new InProcessTestClusterBuilder(silos);
        builder.Options.ServiceId = _serviceId;
        builder.Options.ClusterId = $"{_serviceId}-{Guid.NewGuid():N}"[..30];
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((_, silo) => silo
            .UseShadowPostgreSqlClustering(connectionString)
            .UseShadowPostgreSqlStorage(connectionString)
            .ConfigureServices(services => services.AddShadowSerialization()));
        // Membership lives in PostgreSQL, for the silos and for the client that finds their gateways there.
        TestClusterMembership.UseConfiguredClustering(builder.Options);
        builder.ConfigureClient(client => client
            .UseShadowPostgreSqlClustering(connectionString)
            .ConfigureServices(services => services.AddShadowSerialization()));
        var cluster = builder.Build();
        try
        {
            await cluster.DeployAsync();
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private static async Task StopAsync(InProcessTestCluster cluster)
    {
        await cluster.StopAllSilosAsync();
        await cluster.DisposeAsync();
    }

    [Fact]
    public async Task TwoSilos_StateAndRemindersWritten_AreReadByANewClusterOnTheSameDatabase()
    {
        var connectionString = await Postgres.NewDatabaseAsync();
        var first = await StartClusterAsync(connectionString);
        try
        {
            (await CountAsync(connectionString, "SELECT count(*) FROM shadow_membership WHERE status = 3")).ShouldBe(2);
            foreach (var i in Enumerable.Range(0, 10))
            {
                var grain = first.Client.GetGrain<IStorageProbeGrain>($"probe-{i}");
                await grain.SetAsync($"text {i}", Ct);
                await grain.SetAsync($"text {i} again", Ct);
            }

            await first.Client.GetGrain<IStorageProbeGrain>("probe-0").RegisterReminderAsync("wake", Ct);
        }
        finally
        {
            await StopAsync(first);
        }

        var second = await StartClusterAsync(connectionString);
        try
        {
            foreach (var i in Enumerable.Range(0, 10))
            {
                var (text, exists) = await second.Client.GetGrain<IStorageProbeGrain>($"probe-{i}").GetAsync(Ct);
                text.ShouldBe($"text {i} again");
                exists.ShouldBeTrue();
            }

            (await second.Client.GetGrain<IStorageProbeGrain>("probe-0").HasReminderAsync("wake", Ct)).ShouldBeTrue();
            (await second.Client.GetGrain<IStorageProbeGrain>("probe-1").HasReminderAsync("wake", Ct)).ShouldBeFalse();
            (await CountAsync(connectionString, "SELECT count(*) FROM shadow_grain_state WHERE version = 2")).ShouldBe(10);
        }
        finally
        {
            await StopAsync(second);
        }
    }

    [Fact]
    public async Task MessageLog_PagesOnPostgreSql_AreRowsOfTheirOwn_AndSurviveTruncation()
    {
        var connectionString = await Postgres.NewDatabaseAsync();
        var cluster = await StartClusterAsync(connectionString, silos: 1);
        try
        {
            var storage = cluster.Silos[0].ServiceProvider.GetRequiredKeyedService<IGrainStorage>(StorageNames.Default);
            var grainId = GrainId.Create("task", "paged-1");
            var messages = Enumerable.Range(1, (MessageLog.PageSize * 2) + 5)
                .Select(i => new ChatMessage($"m{i}", i, ChatRole.User, $"message {i}", DateTimeOffset.UnixEpoch))
                .ToList();

            var log = new MessageLog(storage, grainId);
            foreach (var message in messages)
            {
                await log.AppendAsync(message, Ct);
            }

            var reloaded = new MessageLog(storage, grainId);
            await reloaded.LoadAsync(messages.Count, Ct);
            reloaded.Messages.Select(m => m.Content).ShouldBe(messages.Select(m => m.Content));
            (await CountAsync(connectionString, "SELECT count(*) FROM shadow_grain_state WHERE grain_type LIKE 'messages-%'")).ShouldBe(3);

            // Truncation deletes whole pages; writing them again (no ETag) must insert, not conflict.
            await reloaded.TruncateAsync(MessageLog.PageSize - 1, Ct);
            (await CountAsync(connectionString, "SELECT count(*) FROM shadow_grain_state WHERE grain_type LIKE 'messages-%'")).ShouldBe(1);
            var more = Enumerable.Range(MessageLog.PageSize, MessageLog.PageSize + 2)
                .Select(i => new ChatMessage($"n{i}", i, ChatRole.Assistant, $"again {i}", DateTimeOffset.UnixEpoch)).ToList();
            foreach (var message in more)
            {
                await reloaded.AppendAsync(message, Ct);
            }

            var final = new MessageLog(storage, grainId);
            await final.LoadAsync(reloaded.Messages.Count, Ct);
            final.Messages.Select(m => m.Content).ShouldBe(
                messages.Take(MessageLog.PageSize - 1).Select(m => m.Content).Concat(more.Select(m => m.Content)));
        }
        finally
        {
            await StopAsync(cluster);
        }
    }

    [Fact]
    public async Task ReminderTable_OnPostgreSql_UpsertsReadsRangesAndRemovesWithETags()
    {
        var connectionString = await Postgres.NewDatabaseAsync();
        var cluster = await StartClusterAsync(connectionString, silos: 1);
        try
        {
            var table = cluster.Silos[0].ServiceProvider.GetRequiredService<IReminderTable>();
            var grains = Enumerable.Range(0, 20).Select(i => GrainId.Create("probe", $"r{i}")).ToList();
            var start = new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc);
            foreach (var grain in grains)
            {
                var etag = await table.UpsertRow(new ReminderEntry { GrainId = grain, ReminderName = "tick", StartAt = start, Period = TimeSpan.FromMinutes(5) }, Ct);
                etag.ShouldNotBeNullOrEmpty();
            }

            var one = await table.ReadRow(grains[3], "tick", Ct);
            one.ShouldNotBeNull();
            one.StartAt.ShouldBe(start);
            one.Period.ShouldBe(TimeSpan.FromMinutes(5));

            // The whole ring, as one range that does not wrap and as one that does.
            (await table.ReadRows(0, uint.MaxValue, Ct)).Reminders.Count.ShouldBe(grains.Count(g => g.GetUniformHashCode() != 0));
            var wrapped = await table.ReadRows(uint.MaxValue / 2, uint.MaxValue / 4, Ct);
            var plain = await table.ReadRows(uint.MaxValue / 4, uint.MaxValue / 2, Ct);
            (wrapped.Reminders.Count + plain.Reminders.Count).ShouldBe(grains.Count);

            // A stale ETag removes nothing; the current one removes the row.
            var updatedEtag = await table.UpsertRow(new ReminderEntry { GrainId = grains[3], ReminderName = "tick", StartAt = start, Period = TimeSpan.FromMinutes(6) }, Ct);
            (await table.RemoveRow(grains[3], "tick", one.ETag!, Ct)).ShouldBeFalse();
            (await table.RemoveRow(grains[3], "tick", updatedEtag!, Ct)).ShouldBeTrue();
            (await table.ReadRow(grains[3], "tick", Ct)).ShouldBeNull();
            (await table.ReadRows(grains[4], Ct)).Reminders.Single().ReminderName.ShouldBe("tick");
        }
        finally
        {
            await StopAsync(cluster);
        }
    }

    [Fact]
    public async Task TwoSiloShadowCluster_OnPostgreSql_RunsATaskEndToEnd_AndKeepsItAcrossARestart()
    {
        var connectionString = await Postgres.NewDatabaseAsync();
        await using var cluster = await ShadowCluster.StartAsync(new Dictionary<string, string?>
        {
            ["Shadow:Storage:Kind"] = "PostgreSql",
            ["Shadow:Storage:ConnectionString"] = connectionString,
        }, silos: 2);
        var remote = cluster.CreateRemote("repo", new Dictionary<string, string> { ["a.txt"] = "hello\n" });

        var tasks = Enumerable.Range(0, 4).Select(i => $"pg-task-{i}").ToList();
        var done = await Task.WhenAll(tasks.Select(id => cluster.CreateAndWaitAsync(id, remote, prompt: $"prompt of {id}")));
        foreach (var task in done)
        {
            task.Status.ShouldBe(ShadowTaskStatus.Idle, task.Error);
        }

        (await CountAsync(connectionString, "SELECT count(*) FROM shadow_membership WHERE status = 3")).ShouldBe(2);
        await cluster.RestartAsync();

        foreach (var id in tasks)
        {
            var task = await cluster.Task(id).GetAsync(Ct);
            task.Status.ShouldBe(ShadowTaskStatus.Idle);
            var messages = await cluster.Task(id).GetMessagesAsync(cancellationToken: Ct);
            messages.Select(m => m.Content).ShouldContain($"prompt of {id}");
            messages.Select(m => m.Content).ShouldContain("Nothing to do.");
        }
    }

    private static async Task<long> CountAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand(sql, connection);
        return (long)(await command.ExecuteScalarAsync(Ct))!;
    }
}
