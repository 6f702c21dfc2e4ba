using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Hosting;
using Shadow.Grains.Abstractions.Serialization;
using Shadow.Grains.Storage.PostgreSql;
using Shadow.Grains.Tasks;

namespace Shadow.Grains.Hosting;

/// <summary>The multi-silo cluster on PostgreSQL: silos that join it and clients (the gateway in <c>Client</c> mode) that call it.</summary>
public static class ShadowClusterHostingExtensions
{
    /// <summary>
    /// A silo in the PostgreSQL membership table: <c>Shadow:Orleans:*</c> ids and ports, listening on every address and
    /// advertising <see cref="ShadowOrleansOptions.AdvertisedIPAddress"/> (or this host's address).
    /// </summary>
    internal static ISiloBuilder UseShadowCluster(this ISiloBuilder builder, ShadowOrleansOptions orleans, string connectionString)
    {
        builder.UseShadowPostgreSqlClustering(connectionString);
        builder.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = orleans.ClusterId;
            o.ServiceId = orleans.ServiceId;
        });
        // Failure detection tuned so a dead silo's tasks run again within 15 s: it is declared dead after MissedProbesLimit
        // probes ProbeTimeout apart (6 s by default; a SIGKILLed silo refuses connections, so each probe fails at once), then
        // TaskResumer wakes the tasks that were running. The membership table is re-read every 10 s as a safety net.
        builder.Configure<ClusterMembershipOptions>(o =>
        {
            o.ProbeTimeout = orleans.ProbeTimeout;
            o.NumMissedProbesLimit = orleans.MissedProbesLimit;
            o.TableRefreshTimeout = TimeSpan.FromSeconds(10);
        });
        builder.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, TaskResumer>();
        if (string.IsNullOrWhiteSpace(orleans.AdvertisedIPAddress))
        {
            builder.ConfigureEndpoints(orleans.SiloPort, orleans.GatewayPort, listenOnAnyHostAddress: true);
        }
        else
        {
            builder.ConfigureEndpoints(IPAddress.Parse(orleans.AdvertisedIPAddress), orleans.SiloPort, orleans.GatewayPort, listenOnAnyHostAddress: true);
        }

        if (orleans.UsesKubernetesHosting(Environment.GetEnvironmentVariable))
        {
            // In a pod (the Helm chart): ids, address and pod name from the Downward API, after the settings above so they win;
            // membership stays in PostgreSQL (Microsoft.Orleans.Clustering.Kubernetes is not available).
            builder.UseKubernetesHosting();
        }

        return builder;
    }

    /// <summary>
    /// An Orleans client of the Shadow cluster: gateways from the PostgreSQL membership table (<c>Shadow:Storage:ConnectionString</c>),
    /// <c>Shadow:Orleans:ClusterId</c>/<c>ServiceId</c>, and Shadow's serializers.
    /// </summary>
    /// <exception cref="OptionsValidationException">A setting is missing or wrong; the message names it.</exception>
    public static IClientBuilder UseShadowClusterClient(this IClientBuilder builder, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configuration);
        var orleans = configuration.GetSection(ShadowOrleansOptions.SectionName).Get<ShadowOrleansOptions>() ?? new ShadowOrleansOptions();
        var storage = configuration.GetSection(ShadowStorageOptions.SectionName).Get<ShadowStorageOptions>() ?? new ShadowStorageOptions();
        var failures = new List<string>();
        var orleansCheck = new ShadowOrleansOptionsValidator().Validate(Options.DefaultName, orleans);
        if (orleansCheck.Failed)
        {
            failures.AddRange(orleansCheck.Failures);
        }

        if (storage.Kind != ShadowStorageOptions.PostgreSqlKind)
        {
            failures.Add($"{ShadowOrleansOptions.SectionName}:Mode=Client finds the cluster in PostgreSQL: set Shadow:Storage:Kind=PostgreSql "
                + $"and Shadow:Storage:ConnectionString to the silos' database (Shadow:Storage:Kind is '{storage.Kind}').");
        }
        else
        {
            var storageCheck = new ShadowStorageOptionsValidator().Validate(Options.DefaultName, storage);
            if (storageCheck.Failed)
            {
                failures.AddRange(storageCheck.Failures);
            }
        }

        if (failures.Count > 0)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(ShadowOrleansOptions), failures);
        }

        builder.Services.AddShadowSerialization();
        return builder
            .UseShadowPostgreSqlClustering(storage.ConnectionString!)
            .Configure<ClusterOptions>(o =>
            {
                o.ClusterId = orleans.ClusterId;
                o.ServiceId = orleans.ServiceId;
            });
    }
}
