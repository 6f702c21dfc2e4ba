using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Runtime.Hosting;
using Orleans.Serialization;
using Orleans.Serialization.Serializers;
using Orleans.Storage;

namespace Shadow.Grains.Storage;

/// <summary>
/// The embedded default's durable local store: grain state and reminders in one SQLite file,
/// <c>&lt;Shadow:DataDir&gt;/shadow.db</c>, so a killed and restarted process loses nothing it acknowledged.
/// </summary>
public static class LocalStorageSiloBuilderExtensions
{
    /// <summary>
    /// Keeps grain state under <see cref="StorageNames.Default"/> and the silo's reminders in <c>&lt;dataDir&gt;/shadow.db</c>
    /// (adds the reminder service). Rows are keyed by the cluster's <see cref="ClusterOptions.ServiceId"/>.
    /// </summary>
    /// <param name="builder">The silo builder.</param>
    /// <param name="dataDir">The data folder (<c>Shadow:DataDir</c>); created at start if missing.</param>
    /// <returns>The silo builder.</returns>
    public static ISiloBuilder UseShadowLocalStorage(this ISiloBuilder builder, string dataDir)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.ConfigureServices(services => services.UseShadowLocalStorage(dataDir));
    }

    /// <summary>The <see cref="IServiceCollection"/> form of <see cref="UseShadowLocalStorage(ISiloBuilder, string)"/>.</summary>
    /// <param name="services">The silo's services.</param>
    /// <param name="dataDir">The data folder (<c>Shadow:DataDir</c>); created at start if missing.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection UseShadowLocalStorage(this IServiceCollection services, string dataDir)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddShadowLocalGrainStorage(StorageNames.Default, dataDir);
        services.AddReminders();
        services.AddSingleton<IReminderTable>(sp => new SqliteReminderTable(
            sp.GetRequiredService<IOptions<ClusterOptions>>().Value.ServiceId,
            sp.GetRequiredService<SqliteDatabase>()));
        return services;
    }

    /// <summary>Adds one more grain storage named <paramref name="name"/> in the same local store (its rows are kept apart by name).</summary>
    /// <param name="builder">The silo builder.</param>
    /// <param name="name">The storage name used in <c>[PersistentState(..., name)]</c>.</param>
    /// <param name="dataDir">The data folder (<c>Shadow:DataDir</c>); must be the same folder for every name on one silo.</param>
    /// <returns>The silo builder.</returns>
    public static ISiloBuilder AddShadowLocalGrainStorage(this ISiloBuilder builder, string name, string dataDir)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.ConfigureServices(services => services.AddShadowLocalGrainStorage(name, dataDir));
    }

    /// <summary>The <see cref="IServiceCollection"/> form of <see cref="AddShadowLocalGrainStorage(ISiloBuilder, string, string)"/>.</summary>
    /// <param name="services">The silo's services.</param>
    /// <param name="name">The storage name used in <c>[PersistentState(..., name)]</c>.</param>
    /// <param name="dataDir">The data folder (<c>Shadow:DataDir</c>); must be the same folder for every name on one silo.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddShadowLocalGrainStorage(this IServiceCollection services, string name, string dataDir)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        AddDatabase(services, dataDir);
        services.AddGrainStorage(name, (sp, storageName) => new SqliteGrainStorage(
            storageName,
            sp.GetRequiredService<IOptions<ClusterOptions>>().Value.ServiceId,
            sp.GetRequiredService<SqliteDatabase>(),
            // The Orleans binary serializer: [GenerateSerializer] state and the sidecar contracts (JSON codec) both round-trip.
            new OrleansGrainStorageSerializer(sp.GetRequiredService<Serializer>()),
            sp.GetRequiredService<IActivatorProvider>(),
            sp.GetRequiredService<ILogger<SqliteGrainStorage>>()));
        return services;
    }

    private static void AddDatabase(IServiceCollection services, string dataDir)
    {
        if (string.IsNullOrWhiteSpace(dataDir))
        {
            throw new ArgumentException("Shadow:DataDir is empty: set it to the folder the embedded store keeps shadow.db in.", nameof(dataDir));
        }

        var fullPath = Path.GetFullPath(dataDir);
        var existing = services
            .Where(d => !d.IsKeyedService && d.ServiceType == typeof(LocalStorageRegistration))
            .Select(d => d.ImplementationInstance)
            .OfType<LocalStorageRegistration>()
            .FirstOrDefault();
        if (existing is not null)
        {
            if (!string.Equals(existing.DataDir, fullPath, StringComparison.Ordinal))
            {
                throw new InvalidOperationException(
                    $"The embedded store is already registered on '{existing.DataDir}'; one silo keeps all its local state in one Shadow:DataDir, not also '{fullPath}'.");
            }

            return;
        }

        services.AddSingleton(new LocalStorageRegistration(fullPath));
        services.AddSingleton(sp => new SqliteDatabase(fullPath, sp.GetRequiredService<ILogger<SqliteDatabase>>()));
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, LocalStorageLifecycle>();
    }
}
