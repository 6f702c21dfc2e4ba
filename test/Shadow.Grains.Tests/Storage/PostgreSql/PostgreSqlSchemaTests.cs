using Microsoft.Extensions.Options;
using Npgsql;
using Shadow.Grains.Hosting;
using Shadow.Grains.Storage.PostgreSql;
using Shouldly;

namespace Shadow.Grains.Tests.Storage.PostgreSql;

public sealed class PostgreSqlSchemaTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly string[] ProviderQueryKeys =
    [
        "InsertMembershipVersionKey", "InsertMembershipKey", "UpdateMembershipKey", "UpdateIAmAlivetimeKey", "MembershipReadAllKey",
        "MembershipReadRowKey", "GatewaysQueryKey", "DeleteMembershipTableEntriesKey", "CleanupDefunctSiloEntriesKey",
        "ReadFromStorageKey", "WriteToStorageKey", "ClearStorageKey", "DeleteStorageKey",
        "ReadReminderRowsKey", "ReadRangeRows1Key", "ReadRangeRows2Key", "ReadReminderRowKey", "UpsertReminderRowKey",
        "DeleteReminderRowKey", "DeleteReminderRowsKey",
    ];

    [Fact]
    public async Task EnsureAsync_RunTwice_AppliesOnceThenDoesNothing()
    {
        var connectionString = await Postgres.NewDatabaseAsync();

        var first = await PostgreSqlSchema.EnsureAsync(connectionString, Ct);
        var second = await PostgreSqlSchema.EnsureAsync(connectionString, Ct);

        first.ShouldBe(Enumerable.Range(1, PostgreSqlSchema.LatestVersion));
        second.ShouldBeEmpty();
        (await PostgreSqlSchema.ReadVersionsAsync(connectionString, Ct)).ShouldBe(Enumerable.Range(1, PostgreSqlSchema.LatestVersion));
        (await ReadQueryKeysAsync(connectionString)).ShouldBe(ProviderQueryKeys.Order(StringComparer.Ordinal), ignoreOrder: true);
    }

    [Fact]
    public async Task EnsureAsync_SilosStartingTogether_ApplyEachMigrationOnce()
    {
        var connectionString = await Postgres.NewDatabaseAsync();

        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => PostgreSqlSchema.EnsureAsync(connectionString, Ct)));

        results.SelectMany(r => r).ShouldBe(Enumerable.Range(1, PostgreSqlSchema.LatestVersion));
        (await PostgreSqlSchema.ReadVersionsAsync(connectionString, Ct)).ShouldBe(Enumerable.Range(1, PostgreSqlSchema.LatestVersion));
    }

    [Fact]
    public async Task EnsureAsync_UnreachableServer_NamesTheSettingWithoutThePassword()
    {
        const string Secret = "pg-secret-do-not-print";
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var closedPort = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var error = await Should.ThrowAsync<ShadowStorageUnavailableException>(() => PostgreSqlSchema.EnsureAsync(
            $"Host=127.0.0.1;Port={closedPort};Database=shadow;Username=shadow;Password={Secret};Timeout=3", Ct));

        error.Message.ShouldContain("Shadow:Storage:ConnectionString");
        error.Message.ShouldContain($"Port={closedPort}");
        error.ToString().ShouldNotContain(Secret);
    }

    [Fact]
    public async Task EnsureAsync_WrongDatabase_NamesTheSetting()
    {
        var connectionString = await Postgres.NewDatabaseAsync();
        var missing = new NpgsqlConnectionStringBuilder(connectionString) { Database = "no_such_database_here" }.ConnectionString;

        var error = await Should.ThrowAsync<ShadowStorageUnavailableException>(() => PostgreSqlSchema.EnsureAsync(missing, Ct));

        error.Message.ShouldContain("Shadow:Storage:ConnectionString");
        error.Message.ShouldContain("no_such_database_here");
    }

    [Theory]
    [InlineData(null, "Shadow:Storage:ConnectionString is required")]
    [InlineData("this is not one", "Shadow:Storage:ConnectionString is not a PostgreSQL connection string")]
    [InlineData("Database=shadow;Username=shadow", "Shadow:Storage:ConnectionString names no server")]
    public void Validator_BadConnectionString_NamesTheSetting(string? connectionString, string expected)
    {
        var result = new ShadowStorageOptionsValidator().Validate(Options.DefaultName,
            new ShadowStorageOptions { Kind = ShadowStorageOptions.PostgreSqlKind, ConnectionString = connectionString });

        result.Failed.ShouldBeTrue();
        result.FailureMessage.ShouldContain(expected);
    }

    [Fact]
    public void Validator_Password_IsNeverRepeated()
    {
        var result = new ShadowStorageOptionsValidator().Validate(Options.DefaultName,
            new ShadowStorageOptions { Kind = ShadowStorageOptions.PostgreSqlKind, ConnectionString = "Password=hunter2-secret;Bogus Key=1" });

        result.Failed.ShouldBeTrue();
        result.FailureMessage.ShouldNotContain("hunter2-secret");
    }

    private static async Task<List<string>> ReadQueryKeysAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand("SELECT QueryKey FROM OrleansQuery", connection);
        await using var reader = await command.ExecuteReaderAsync(Ct);
        var keys = new List<string>();
        while (await reader.ReadAsync(Ct))
        {
            keys.Add(reader.GetString(0));
        }

        return keys;
    }
}
