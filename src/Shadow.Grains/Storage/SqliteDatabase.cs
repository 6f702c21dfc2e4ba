using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Shadow.Grains.Storage;

/// <summary>
/// The embedded default's one database file, <c>&lt;Shadow:DataDir&gt;/shadow.db</c>: creates the folder and the schema
/// (idempotently, once) and hands out open connections from the one Microsoft.Data.Sqlite pool for its connection string.
/// Shared by <see cref="SqliteGrainStorage"/> and <see cref="SqliteReminderTable"/>.
/// </summary>
internal sealed partial class SqliteDatabase : IDisposable
{
    public const string FileName = "shadow.db";

    /// <summary>The schema this build writes; a file with a newer version is refused rather than misread.</summary>
    public const int SchemaVersion = 1;

    // Microsoft.Data.Sqlite retries SQLITE_BUSY itself for the command timeout; busy_timeout makes SQLite wait inside
    // its own lock loop first. Operations are single short statements, so waiting this long means something is wrong.
    private static readonly TimeSpan BusyTimeout = TimeSpan.FromSeconds(10);

    // synchronous=FULL: in WAL mode NORMAL already survives a killed process (the WAL is in the OS cache), but it can lose
    // the last commits on power loss or an OS crash. A grain treats a completed WriteStateAsync as durable and may act on
    // it (tell the user, start a workspace), and writes here are one per grain turn at most, so one fsync per commit is
    // worth keeping the acknowledgement true.
    private const string ConnectionPragmas = "PRAGMA synchronous = FULL; PRAGMA busy_timeout = {0};";

    private const string SchemaSql = """
        CREATE TABLE IF NOT EXISTS shadow_schema_version (
            id INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
            version INTEGER NOT NULL,
            applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
        );
        CREATE TABLE IF NOT EXISTS grain_state (
            service_id TEXT NOT NULL,
            provider TEXT NOT NULL,
            grain_type TEXT NOT NULL,
            grain_key TEXT NOT NULL,
            state_name TEXT NOT NULL,
            payload BLOB NOT NULL,
            etag TEXT NOT NULL,
            PRIMARY KEY (service_id, provider, grain_type, grain_key, state_name)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS reminders (
            service_id TEXT NOT NULL,
            grain_id TEXT NOT NULL,
            reminder_name TEXT NOT NULL,
            grain_hash INTEGER NOT NULL,
            start_at_ticks INTEGER NOT NULL,
            period_ticks INTEGER NOT NULL,
            etag TEXT NOT NULL,
            PRIMARY KEY (service_id, grain_id, reminder_name)
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS reminders_by_hash ON reminders (service_id, grain_hash);
        """;

    private readonly string _connectionString;
    private readonly string _connectionPragmas;
    private readonly ILogger<SqliteDatabase> _logger;
    private readonly Lock _initLock = new();
    private volatile bool _initialized;

    public SqliteDatabase(string dataDir, ILogger<SqliteDatabase> logger)
    {
        ArgumentNullException.ThrowIfNull(logger);
        if (string.IsNullOrWhiteSpace(dataDir))
        {
            throw new ArgumentException("Shadow:DataDir is empty: set it to the folder the embedded store keeps shadow.db in.", nameof(dataDir));
        }

        DataDir = Path.GetFullPath(dataDir);
        FilePath = Path.Combine(DataDir, FileName);
        _logger = logger;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = FilePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = (int)BusyTimeout.TotalSeconds,
        }.ToString();
        _connectionPragmas = string.Format(System.Globalization.CultureInfo.InvariantCulture, ConnectionPragmas, (int)BusyTimeout.TotalMilliseconds);
    }

    /// <summary>The data folder as a full path.</summary>
    public string DataDir { get; }

    /// <summary>The database file.</summary>
    public string FilePath { get; }

    /// <summary>Opens a pooled connection with the per-connection settings applied, creating the schema on first use.</summary>
    public async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        EnsureInitialized();
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            using var pragmas = connection.CreateCommand();
            pragmas.CommandText = _connectionPragmas;
            await pragmas.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Creates the folder, the file, WAL mode and the schema if missing. Idempotent; a failure is not cached, so a folder
    /// fixed after a failed start works on the next call.
    /// </summary>
    /// <exception cref="InvalidOperationException">The folder or the file cannot be created or written; the message names <c>Shadow:DataDir</c>.</exception>
    public void EnsureInitialized()
    {
        if (_initialized)
        {
            return;
        }

        lock (_initLock)
        {
            if (_initialized)
            {
                return;
            }

            try
            {
                Directory.CreateDirectory(DataDir);
                var version = CreateSchema();
                LogInformationReady(FilePath, version);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or SqliteException)
            {
                throw new InvalidOperationException(
                    $"The embedded store cannot create or write '{FilePath}' (Shadow:DataDir = '{DataDir}'): {e.Message} "
                    + "Set Shadow:DataDir (environment variable Shadow__DataDir) to a folder this process can create and write.",
                    e);
            }

            _initialized = true;
        }
    }

    /// <summary>Closes the pooled connections to the file (the data is already on disk).</summary>
    public void Dispose()
    {
        using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
    }

    private int CreateSchema()
    {
        using var connection = new SqliteConnection(_connectionString);
        connection.Open();

        // WAL is a property of the file (it sticks), and it cannot be switched inside a transaction.
        using (var wal = connection.CreateCommand())
        {
            wal.CommandText = "PRAGMA journal_mode = WAL;";
            var mode = wal.ExecuteScalar() as string;
            if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
            {
                throw new IOException($"SQLite did not switch '{FilePath}' to WAL mode (journal_mode is '{mode}').");
            }
        }

        using (var pragmas = connection.CreateCommand())
        {
            pragmas.CommandText = _connectionPragmas;
            pragmas.ExecuteNonQuery();
        }

        // IMMEDIATE takes the write lock up front, so two processes starting on one file cannot both create the schema.
        using var transaction = connection.BeginTransaction(deferred: false);
        using (var schema = connection.CreateCommand())
        {
            schema.Transaction = transaction;
            schema.CommandText = SchemaSql;
            schema.ExecuteNonQuery();
        }

        using var read = connection.CreateCommand();
        read.Transaction = transaction;
        read.CommandText = "SELECT version FROM shadow_schema_version WHERE id = 1;";
        if (read.ExecuteScalar() is long stored)
        {
            if (stored > SchemaVersion)
            {
                throw new InvalidOperationException(
                    $"'{FilePath}' has schema version {stored}, newer than this build reads ({SchemaVersion}). Run a newer Shadow or point Shadow:DataDir elsewhere.");
            }

            transaction.Commit();
            return (int)stored;
        }

        using var write = connection.CreateCommand();
        write.Transaction = transaction;
        write.CommandText = "INSERT INTO shadow_schema_version (id, version) VALUES (1, $version);";
        write.Parameters.AddWithValue("$version", SchemaVersion);
        write.ExecuteNonQuery();
        transaction.Commit();
        return SchemaVersion;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Embedded store ready at {FilePath} (schema version {SchemaVersion})")]
    private partial void LogInformationReady(string filePath, int schemaVersion);
}
