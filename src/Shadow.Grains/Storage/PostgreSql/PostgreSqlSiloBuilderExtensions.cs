using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Serialization;
using Orleans.Storage;

namespace Shadow.Grains.Storage.PostgreSql;

/// <summary>
/// The cluster's store: grain state, reminders and (with <see cref="UseShadowPostgreSqlClustering"/>) membership in one
/// PostgreSQL database through Orleans' AdoNet providers on Npgsql, with Shadow's own schema created or migrated at start.
/// </summary>
public static class PostgreSqlSiloBuilderExtensions
{
    /// <summary>The ADO.NET invariant name of Npgsql, as the AdoNet providers expect it.</summary>
    public const string Invariant = "Npgsql";

    /// <summary>
    /// Keeps grain state under <see cref="StorageNames.Default"/> and the silo's reminders in PostgreSQL (adds the reminder
    /// service) and prepares the schema first thing at start.
    /// </summary>
    /// <param name="builder">The silo builder.</param>
    /// <param name="connectionString">The Npgsql connection string (<c>Shadow:Storage:ConnectionString</c>).</param>
    /// <returns>The silo builder.</returns>
    public static ISiloBuilder UseShadowPostgreSqlStorage(this ISiloBuilder builder, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        AddSchema(builder.Services, connectionString);
        builder.Services.AddAdoNetGrainStorage(StorageNames.Default, options => options.Configure<Serializer>((o, serializer) =>
        {
            o.Invariant = Invariant;
            o.ConnectionString = connectionString;
            // The Orleans binary serializer, as in the embedded store: [GenerateSerializer] state and the JSON-coded contracts.
            o.GrainStorageSerializer = new OrleansGrainStorageSerializer(serializer);
            // A cleared state's row is deleted, so a later write without an ETag (a message-log page written again) inserts.
            o.DeleteStateOnClear = true;
        }));
        builder.UseAdoNetReminderService(options => options.Configure(o =>
        {
            o.Invariant = Invariant;
            o.ConnectionString = connectionString;
        }));
        return builder;
    }

    /// <summary>Membership (which silos are in the cluster, and their gateways) in the same PostgreSQL database.</summary>
    /// <param name="builder">The silo builder.</param>
    /// <param name="connectionString">The Npgsql connection string (<c>Shadow:Storage:ConnectionString</c>).</param>
    /// <returns>The silo builder.</returns>
    public static ISiloBuilder UseShadowPostgreSqlClustering(this ISiloBuilder builder, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        AddSchema(builder.Services, connectionString);
        return builder.UseAdoNetClustering((AdoNetClusteringSiloOptions o) =>
        {
            o.Invariant = Invariant;
            o.ConnectionString = connectionString;
        });
    }

    /// <summary>A client that finds the cluster's gateways in the PostgreSQL membership table.</summary>
    /// <param name="builder">The client builder.</param>
    /// <param name="connectionString">The Npgsql connection string (<c>Shadow:Storage:ConnectionString</c>).</param>
    /// <returns>The client builder.</returns>
    public static IClientBuilder UseShadowPostgreSqlClustering(this IClientBuilder builder, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        return builder.UseAdoNetClustering((AdoNetClusteringClientOptions o) =>
        {
            o.Invariant = Invariant;
            o.ConnectionString = connectionString;
        });
    }

    private static void AddSchema(IServiceCollection services, string connectionString)
    {
        var existing = services
            .Where(d => !d.IsKeyedService && d.ServiceType == typeof(PostgreSqlStorageRegistration))
            .Select(d => d.ImplementationInstance)
            .OfType<PostgreSqlStorageRegistration>()
            .FirstOrDefault();
        if (existing is not null)
        {
            if (!string.Equals(existing.ConnectionString, connectionString, StringComparison.Ordinal))
            {
                throw new InvalidOperationException(
                    $"The silo already keeps its state in PostgreSQL at {existing}; one silo uses one database, not also {PostgreSqlSchema.Describe(connectionString)}.");
            }

            return;
        }

        services.AddSingleton(new PostgreSqlStorageRegistration(connectionString));
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, PostgreSqlSchemaLifecycle>();
    }
}
