using System.Reflection;
using Npgsql;

namespace Shadow.Grains.Storage.PostgreSql;

/// <summary>
/// Creates or migrates Shadow's PostgreSQL schema: the numbered scripts embedded in this assembly (<c>Migrations/NNN-*.sql</c>),
/// applied once, in one transaction under a transaction-scoped advisory lock, and recorded in <c>shadow_schema_version</c>:
/// silos that start together apply each one once, and running it again is a no-op.
/// </summary>
public static class PostgreSqlSchema
{
    /// <summary>The setting that holds the connection string (named in every error).</summary>
    public const string ConnectionStringSetting = "Shadow:Storage:ConnectionString";

    // An arbitrary constant shared by every Shadow process: the advisory lock that serializes migrations.
    private const long MigrationLockKey = 0x5348_4144_4F57; // "SHADOW"

    private const string ResourcePrefix = "Shadow.Grains.Storage.PostgreSql.";

    /// <summary>The schema version the embedded scripts bring a database to.</summary>
    public static int LatestVersion => Migrations.Value[^1].Version;

    private static readonly Lazy<IReadOnlyList<Migration>> Migrations = new(LoadMigrations);

    /// <summary>Applies the migrations the database lacks.</summary>
    /// <returns>The versions applied by this call (empty when the schema was current).</returns>
    /// <exception cref="ShadowStorageUnavailableException">The database cannot be reached or refused a script; the message names
    /// <see cref="ConnectionStringSetting"/> and shows the connection string without its password.</exception>
    public static async Task<IReadOnlyList<int>> EnsureAsync(string connectionString, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var applied = new List<int>();
        try
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync(cancellationToken);
            // One transaction (PostgreSQL DDL is transactional) under a lock: a migration that fails leaves nothing behind, and
            // silos starting together wait for each other instead of racing on CREATE TABLE.
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await ExecuteAsync(connection, transaction, $"SELECT pg_advisory_xact_lock({MigrationLockKey})", cancellationToken);
            await ExecuteAsync(connection, transaction, """
                CREATE TABLE IF NOT EXISTS shadow_schema_version (
                    version    integer     PRIMARY KEY,
                    name       text        NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now())
                """, cancellationToken);
            var present = new HashSet<int>();
            await using (var read = new NpgsqlCommand("SELECT version FROM shadow_schema_version", connection, transaction))
            await using (var reader = await read.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    present.Add(reader.GetInt32(0));
                }
            }

            foreach (var migration in Migrations.Value.Where(m => !present.Contains(m.Version)))
            {
                await ExecuteAsync(connection, transaction, migration.Sql, cancellationToken);
                await using var record = new NpgsqlCommand("INSERT INTO shadow_schema_version (version, name) VALUES (@v, @n)", connection, transaction);
                record.Parameters.AddWithValue("v", migration.Version);
                record.Parameters.AddWithValue("n", migration.Name);
                await record.ExecuteNonQueryAsync(cancellationToken);
                applied.Add(migration.Version);
            }

            await transaction.CommitAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is NpgsqlException or ArgumentException or InvalidOperationException or TimeoutException)
        {
            throw new ShadowStorageUnavailableException(
                $"{ConnectionStringSetting}: cannot prepare the PostgreSQL schema on {Describe(connectionString)}: {ex.Message} "
                + "Check that the server is running and reachable and that the user may create tables (set Shadow__Storage__ConnectionString).",
                ex);
        }

        return applied;
    }

    /// <summary>The versions recorded in <c>shadow_schema_version</c>, in order (for checks and tests).</summary>
    public static async Task<IReadOnlyList<int>> ReadVersionsAsync(string connectionString, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("SELECT version FROM shadow_schema_version ORDER BY version", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var versions = new List<int>();
        while (await reader.ReadAsync(cancellationToken))
        {
            versions.Add(reader.GetInt32(0));
        }

        return versions;
    }

    /// <summary>The connection string's server, database and user, never its password (for messages and logs).</summary>
    public static string Describe(string connectionString)
    {
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(connectionString);
            return $"Host={builder.Host};Port={builder.Port};Database={builder.Database ?? builder.Username};Username={builder.Username}";
        }
        catch (ArgumentException)
        {
            return "(an unreadable connection string)";
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static IReadOnlyList<Migration> LoadMigrations()
    {
        var assembly = typeof(PostgreSqlSchema).Assembly;
        var migrations = new List<Migration>();
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)))
        {
            var name = resource[ResourcePrefix.Length..^".sql".Length];
            var dash = name.IndexOf('-', StringComparison.Ordinal);
            if (dash <= 0 || !int.TryParse(name.AsSpan(0, dash), out var version))
            {
                throw new InvalidOperationException($"The embedded migration '{resource}' is not named NNN-name.sql.");
            }

            migrations.Add(new Migration(version, name, Read(assembly, resource)));
        }

        if (migrations.Count == 0)
        {
            throw new InvalidOperationException("No PostgreSQL migrations are embedded in Shadow.Grains.");
        }

        return [.. migrations.OrderBy(m => m.Version)];
    }

    private static string Read(Assembly assembly, string resource)
    {
        using var stream = assembly.GetManifestResourceStream(resource)!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private sealed record Migration(int Version, string Name, string Sql);
}
