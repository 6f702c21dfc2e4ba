using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Serialization;
using Orleans.Serialization.Serializers;
using Orleans.Storage;
using Shadow.Grains.Abstractions.Serialization;
using Shadow.Grains.Storage;
using Shadow.Testing;

namespace Shadow.Grains.Tests.Storage;

/// <summary>A temp data folder plus the Orleans serializer (with the sidecar JSON codec) to build stores on it.</summary>
internal sealed class LocalStore : IDisposable
{
    public const string ServiceId = "svc-a";

    private readonly ServiceProvider _services = new ServiceCollection().AddSerializer().AddShadowSerialization().BuildServiceProvider();
    private readonly List<SqliteDatabase> _databases = [];

    public TempDirectory Folder { get; } = new("shadow-store");

    public string DataDir => Folder.Combine("data");

    /// <summary>A database handle on <see cref="DataDir"/>, as a freshly started process would create it.</summary>
    public SqliteDatabase OpenDatabase(string? dataDir = null)
    {
        var database = new SqliteDatabase(dataDir ?? DataDir, NullLogger<SqliteDatabase>.Instance);
        _databases.Add(database);
        return database;
    }

    public SqliteGrainStorage CreateStorage(SqliteDatabase? database = null, string name = StorageNames.Default, string serviceId = ServiceId) =>
        new(
            name,
            serviceId,
            database ?? OpenDatabase(),
            new OrleansGrainStorageSerializer(_services.GetRequiredService<Serializer>()),
            _services.GetRequiredService<IActivatorProvider>(),
            NullLogger<SqliteGrainStorage>.Instance);

    public SqliteReminderTable CreateReminderTable(SqliteDatabase? database = null, string serviceId = ServiceId) =>
        new(serviceId, database ?? OpenDatabase());

    /// <summary>A raw connection to the file, outside the code under test.</summary>
    public SqliteConnection OpenRaw()
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(DataDir, SqliteDatabase.FileName), Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    public void Dispose()
    {
        foreach (var database in _databases)
        {
            database.Dispose();
        }

        _services.Dispose();
        Folder.Dispose();
    }
}
