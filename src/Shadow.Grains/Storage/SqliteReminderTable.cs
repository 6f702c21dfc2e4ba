using System.Globalization;
using Microsoft.Data.Sqlite;
using Orleans.Runtime;

namespace Shadow.Grains.Storage;

/// <summary>
/// The reminder table of the embedded default, in the same <c>&lt;Shadow:DataDir&gt;/shadow.db</c> as the grain state.
/// Rows are keyed by (service id, grain id, reminder name) and carry the grain id's uniform hash for the ring-range reads.
/// Register it with <see cref="LocalStorageSiloBuilderExtensions.UseShadowLocalStorage(ISiloBuilder, string)"/>.
/// </summary>
public sealed class SqliteReminderTable : IReminderTable
{
    private const string Columns = "grain_id, reminder_name, start_at_ticks, period_ticks, etag";

    private const string ReadByGrainSql = $"SELECT {Columns} FROM reminders WHERE service_id = $service AND grain_id = $grain;";

    private const string ReadRowSql = $"SELECT {Columns} FROM reminders WHERE service_id = $service AND grain_id = $grain AND reminder_name = $name;";

    // (begin, end] on the ring; when begin >= end the range wraps past uint.MaxValue (begin == end is the whole ring).
    private const string ReadRangeSql = $"SELECT {Columns} FROM reminders WHERE service_id = $service AND grain_hash > $begin AND grain_hash <= $end;";

    private const string ReadWrappedRangeSql = $"SELECT {Columns} FROM reminders WHERE service_id = $service AND (grain_hash > $begin OR grain_hash <= $end);";

    private const string UpsertSql = """
        INSERT INTO reminders (service_id, grain_id, reminder_name, grain_hash, start_at_ticks, period_ticks, etag)
        VALUES ($service, $grain, $name, $hash, $startAt, $period, $etag)
        ON CONFLICT (service_id, grain_id, reminder_name) DO UPDATE SET
            grain_hash = excluded.grain_hash, start_at_ticks = excluded.start_at_ticks,
            period_ticks = excluded.period_ticks, etag = excluded.etag;
        """;

    private const string RemoveSql = "DELETE FROM reminders WHERE service_id = $service AND grain_id = $grain AND reminder_name = $name AND etag = $etag;";

    private const string ClearSql = "DELETE FROM reminders WHERE service_id = $service;";

    private readonly string _serviceId;
    private readonly SqliteDatabase _database;

    internal SqliteReminderTable(string serviceId, SqliteDatabase database)
    {
        ArgumentException.ThrowIfNullOrEmpty(serviceId);
        _serviceId = serviceId;
        _database = database;
    }

    /// <inheritdoc/>
    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        // Fails the reminder service's start with the Shadow:DataDir message rather than the first reminder call.
        _database.EnsureInitialized();
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task StopAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    /// <inheritdoc/>
    public Task<ReminderTableData> ReadRows(GrainId grainId) => ReadRows(grainId, CancellationToken.None);

    /// <inheritdoc/>
    public Task<ReminderTableData> ReadRows(GrainId grainId, CancellationToken cancellationToken) =>
        QueryAsync(ReadByGrainSql, c => c.Parameters.AddWithValue("$grain", grainId.ToString()), cancellationToken);

    /// <inheritdoc/>
    public Task<ReminderTableData> ReadRows(uint begin, uint end) => ReadRows(begin, end, CancellationToken.None);

    /// <inheritdoc/>
    public Task<ReminderTableData> ReadRows(uint begin, uint end, CancellationToken cancellationToken) =>
        QueryAsync(
            begin < end ? ReadRangeSql : ReadWrappedRangeSql,
            c =>
            {
                c.Parameters.AddWithValue("$begin", (long)begin);
                c.Parameters.AddWithValue("$end", (long)end);
            },
            cancellationToken);

    /// <inheritdoc/>
    public Task<ReminderEntry?> ReadRow(GrainId grainId, string reminderName) => ReadRow(grainId, reminderName, CancellationToken.None);

    /// <inheritdoc/>
    public async Task<ReminderEntry?> ReadRow(GrainId grainId, string reminderName, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(reminderName);
        var rows = await QueryAsync(
            ReadRowSql,
            c =>
            {
                c.Parameters.AddWithValue("$grain", grainId.ToString());
                c.Parameters.AddWithValue("$name", reminderName);
            },
            cancellationToken).ConfigureAwait(false);
        return rows.Reminders.Count == 0 ? null : rows.Reminders[0];
    }

    /// <inheritdoc/>
    public Task<string?> UpsertRow(ReminderEntry entry) => UpsertRow(entry, CancellationToken.None);

    /// <inheritdoc/>
    public async Task<string?> UpsertRow(ReminderEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentException.ThrowIfNullOrEmpty(entry.ReminderName);
        var etag = Guid.NewGuid().ToString("N");
        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = CreateCommand(connection, UpsertSql);
        command.Parameters.AddWithValue("$grain", entry.GrainId.ToString());
        command.Parameters.AddWithValue("$name", entry.ReminderName);
        command.Parameters.AddWithValue("$hash", (long)entry.GrainId.GetUniformHashCode());
        command.Parameters.AddWithValue("$startAt", ToUtc(entry.StartAt).Ticks);
        command.Parameters.AddWithValue("$period", entry.Period.Ticks);
        command.Parameters.AddWithValue("$etag", etag);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        return etag;
    }

    /// <inheritdoc/>
    public Task<bool> RemoveRow(GrainId grainId, string reminderName, string eTag) => RemoveRow(grainId, reminderName, eTag, CancellationToken.None);

    /// <inheritdoc/>
    public async Task<bool> RemoveRow(GrainId grainId, string reminderName, string eTag, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(reminderName);
        if (eTag is null)
        {
            return false;
        }

        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = CreateCommand(connection, RemoveSql);
        command.Parameters.AddWithValue("$grain", grainId.ToString());
        command.Parameters.AddWithValue("$name", reminderName);
        command.Parameters.AddWithValue("$etag", eTag);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <inheritdoc/>
    public Task TestOnlyClearTable() => TestOnlyClearTable(CancellationToken.None);

    /// <inheritdoc/>
    public async Task TestOnlyClearTable(CancellationToken cancellationToken)
    {
        // Only this service's rows: another cluster sharing the file keeps its reminders.
        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = CreateCommand(connection, ClearSql);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<ReminderTableData> QueryAsync(string sql, Action<SqliteCommand> bind, CancellationToken cancellationToken)
    {
        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = CreateCommand(connection, sql);
        bind(command);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var entries = new List<ReminderEntry>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            entries.Add(new ReminderEntry
            {
                GrainId = GrainId.Parse(reader.GetString(0), CultureInfo.InvariantCulture),
                ReminderName = reader.GetString(1),
                StartAt = new DateTime(reader.GetInt64(2), DateTimeKind.Utc),
                Period = TimeSpan.FromTicks(reader.GetInt64(3)),
                ETag = reader.GetString(4),
            });
        }

        return new ReminderTableData(entries);
    }

    private SqliteCommand CreateCommand(SqliteConnection connection, string sql)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$service", _serviceId);
        return command;
    }

    // Orleans hands out UTC times; an unspecified kind is taken as UTC, as the SQL providers do.
    private static DateTime ToUtc(DateTime value) => value.Kind == DateTimeKind.Local ? value.ToUniversalTime() : value;
}
