using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Orleans.Serialization.Serializers;
using Orleans.Storage;

namespace Shadow.Grains.Storage;

/// <summary>
/// Grain storage for the embedded default: one row per (service, storage name, grain type, grain key, state name) in
/// <c>&lt;Shadow:DataDir&gt;/shadow.db</c>, the state serialized by the Orleans serializer, optimistic concurrency by ETag.
/// Register it with <see cref="LocalStorageSiloBuilderExtensions.UseShadowLocalStorage(ISiloBuilder, string)"/>.
/// </summary>
public sealed partial class SqliteGrainStorage : IGrainStorage
{
    // Each statement is atomic on its own, so the ETag check and the write cannot be split by another writer.
    private const string ReadSql = """
        SELECT payload, etag FROM grain_state
        WHERE service_id = $service AND provider = $provider AND grain_type = $type AND grain_key = $key AND state_name = $state;
        """;

    private const string InsertSql = """
        INSERT INTO grain_state (service_id, provider, grain_type, grain_key, state_name, payload, etag)
        VALUES ($service, $provider, $type, $key, $state, $payload, $newEtag)
        ON CONFLICT DO NOTHING;
        """;

    private const string UpdateSql = """
        UPDATE grain_state SET payload = $payload, etag = $newEtag
        WHERE service_id = $service AND provider = $provider AND grain_type = $type AND grain_key = $key AND state_name = $state
          AND etag = $etag;
        """;

    private const string DeleteSql = """
        DELETE FROM grain_state
        WHERE service_id = $service AND provider = $provider AND grain_type = $type AND grain_key = $key AND state_name = $state
          AND etag = $etag;
        """;

    private const string EtagSql = """
        SELECT etag FROM grain_state
        WHERE service_id = $service AND provider = $provider AND grain_type = $type AND grain_key = $key AND state_name = $state;
        """;

    private readonly string _name;
    private readonly string _serviceId;
    private readonly SqliteDatabase _database;
    private readonly IGrainStorageSerializer _serializer;
    private readonly IActivatorProvider _activators;
    private readonly ILogger<SqliteGrainStorage> _logger;

    internal SqliteGrainStorage(
        string name,
        string serviceId,
        SqliteDatabase database,
        IGrainStorageSerializer serializer,
        IActivatorProvider activators,
        ILogger<SqliteGrainStorage> logger)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(serviceId);
        _name = name;
        _serviceId = serviceId;
        _database = database;
        _serializer = serializer;
        _activators = activators;
        _logger = logger;
    }

    /// <inheritdoc/>
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        ReadStateAsync(stateName, grainId, grainState, CancellationToken.None);

    /// <inheritdoc/>
    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = CreateCommand(connection, ReadSql, stateName, grainId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            grainState.State = CreateDefault<T>();
            grainState.ETag = null;
            grainState.RecordExists = false;
            return;
        }

        var payload = reader.GetFieldValue<byte[]>(0);
        var etag = reader.GetString(1);
        T? state;
        try
        {
            state = _serializer.Deserialize<T>(new BinaryData(payload));
        }
        catch (Exception e)
        {
            LogErrorDeserialize(e, _name, grainId, stateName, typeof(T));
            throw;
        }

        grainState.State = state ?? CreateDefault<T>();
        grainState.ETag = etag;
        grainState.RecordExists = true;
    }

    /// <inheritdoc/>
    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        WriteStateAsync(stateName, grainId, grainState, CancellationToken.None);

    /// <inheritdoc/>
    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        var payload = _serializer.Serialize(grainState.State).ToArray();
        var newEtag = NewEtag();
        var expected = grainState.ETag;
        // The state is serialized on the grain's thread; Microsoft.Data.Sqlite then blocks (its async methods run
        // synchronously, fsync included), so leave the grain's scheduler for the thread pool before touching the file.
        await Task.CompletedTask.ConfigureAwait(ConfigureAwaitOptions.ForceYielding);

        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (var command = CreateCommand(connection, expected is null ? InsertSql : UpdateSql, stateName, grainId))
        {
            command.Parameters.AddWithValue("$payload", payload);
            command.Parameters.AddWithValue("$newEtag", newEtag);
            if (expected is not null)
            {
                command.Parameters.AddWithValue("$etag", expected);
            }

            if (await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1)
            {
                grainState.ETag = newEtag;
                grainState.RecordExists = true;
                return;
            }
        }

        throw await ConflictAsync(connection, "write", stateName, grainId, expected, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        ClearStateAsync(stateName, grainId, grainState, CancellationToken.None);

    /// <inheritdoc/>
    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        var expected = grainState.ETag;

        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        if (expected is null)
        {
            // The caller believes there is no row: clearing nothing is fine, but a row someone else wrote is a conflict.
            var stored = await ReadEtagAsync(connection, stateName, grainId, cancellationToken).ConfigureAwait(false);
            if (stored is not null)
            {
                throw Conflict("clear", stateName, grainId, stored, expected);
            }
        }
        else
        {
            await using var command = CreateCommand(connection, DeleteSql, stateName, grainId);
            command.Parameters.AddWithValue("$etag", expected);
            if (await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) != 1)
            {
                throw await ConflictAsync(connection, "clear", stateName, grainId, expected, cancellationToken).ConfigureAwait(false);
            }
        }

        grainState.State = CreateDefault<T>();
        grainState.ETag = null;
        grainState.RecordExists = false;
    }

    private SqliteCommand CreateCommand(SqliteConnection connection, string sql, string stateName, GrainId grainId)
    {
        ArgumentException.ThrowIfNullOrEmpty(stateName);
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$service", _serviceId);
        command.Parameters.AddWithValue("$provider", _name);
        command.Parameters.AddWithValue("$type", grainId.Type.ToString());
        command.Parameters.AddWithValue("$key", grainId.Key.ToString());
        command.Parameters.AddWithValue("$state", stateName);
        return command;
    }

    private async Task<string?> ReadEtagAsync(SqliteConnection connection, string stateName, GrainId grainId, CancellationToken cancellationToken)
    {
        await using var command = CreateCommand(connection, EtagSql, stateName, grainId);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string;
    }

    private async Task<InconsistentStateException> ConflictAsync(
        SqliteConnection connection, string operation, string stateName, GrainId grainId, string? expected, CancellationToken cancellationToken)
    {
        // Only for the message: the write has already been refused atomically.
        var stored = await ReadEtagAsync(connection, stateName, grainId, cancellationToken).ConfigureAwait(false);
        return Conflict(operation, stateName, grainId, stored, expected);
    }

    private InconsistentStateException Conflict(string operation, string stateName, GrainId grainId, string? stored, string? expected)
    {
        LogDebugConflict(_name, operation, grainId, stateName, stored, expected);
        var reason = (stored, expected) switch
        {
            (null, _) => "the row is gone",
            (_, null) => "a row exists but the caller has no ETag",
            _ => "the stored ETag differs",
        };
        return new InconsistentStateException(
            $"Storage '{_name}' refused to {operation} state '{stateName}' of {grainId}: {reason} (stored '{stored ?? "none"}', caller '{expected ?? "none"}').",
            stored ?? "none",
            expected ?? "none");
    }

    private T CreateDefault<T>() => _activators.GetActivator<T>().Create();

    // Random rather than a counter: after a clear and a fresh write, an old holder's ETag must not match again.
    private static string NewEtag() => Guid.NewGuid().ToString("N");

    [LoggerMessage(Level = LogLevel.Debug, Message = "Storage {Storage}: {Operation} of {GrainId} state {StateName} refused (stored ETag {StoredEtag}, caller ETag {CallerEtag})")]
    private partial void LogDebugConflict(string storage, string operation, GrainId grainId, string stateName, string? storedEtag, string? callerEtag);

    [LoggerMessage(Level = LogLevel.Error, Message = "Storage {Storage}: cannot deserialize {GrainId} state {StateName} as {StateType}")]
    private partial void LogErrorDeserialize(Exception exception, string storage, GrainId grainId, string stateName, Type stateType);
}
