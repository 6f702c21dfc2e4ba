using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Hosting;
using Shadow.Grains.Abstractions.Serialization;
using Shadow.Grains.Agent;
using Shadow.Grains.Runtime.Kubernetes;
using Shadow.Grains.Runtime.Local;
using Shadow.Grains.Runtime.MicroVm;
using Shadow.Grains.Runtime.Reconcile;
using Shadow.Grains.Sidecar;
using Shadow.Grains.Storage;
using Shadow.Grains.Storage.PostgreSql;
using Shadow.Grains.Tasks;
using Shadow.Grains.Terminals;
using Shadow.Grains.Workspaces;

namespace Shadow.Grains.Hosting;

/// <summary>Adds Shadow's grains and everything they drive to a silo.</summary>
public static class ShadowGrainsHostingExtensions
{
    /// <summary>Registers the grains' services: options (validated on start), the sidecar client, the workspace runtime chosen by
    /// <c>Shadow:Runtime:Kind</c> and the store chosen by <c>Shadow:Storage:Kind</c>.</summary>
    /// <exception cref="OptionsValidationException">A kind is unknown or not available yet; the message names the setting.</exception>
    public static ISiloBuilder AddShadowGrains(this ISiloBuilder builder, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configuration);
        builder.Services.AddShadowGrains(configuration);
        var storage = Read<ShadowStorageOptions>(configuration, ShadowStorageOptions.SectionName);
        Check(storage, new ShadowStorageOptionsValidator());
        if (storage.Kind == ShadowStorageOptions.PostgreSqlKind)
        {
            return builder.UseShadowPostgreSqlStorage(storage.ConnectionString!);
        }

        var shadow = Read<ShadowOptions>(configuration, ShadowOptions.SectionName);
        builder.UseShadowLocalStorage(shadow.DataDirFullPath);
        return builder;
    }

    /// <summary>
    /// A Shadow silo on <c>Shadow:Orleans:SiloPort</c>/<c>GatewayPort</c> with <c>Shadow:Orleans:ClusterId</c>/<c>ServiceId</c>
    /// (validated; the message names the setting), then <see cref="AddShadowGrains(ISiloBuilder, IConfiguration)"/>. The embedded
    /// default uses localhost clustering; <c>Shadow:Storage:Kind=PostgreSql</c> joins the cluster in the PostgreSQL membership
    /// table (advertising <c>Shadow:Orleans:AdvertisedIPAddress</c>). Used by the co-hosting gateway and by Shadow.Silo.
    /// </summary>
    public static ISiloBuilder UseShadowSilo(this ISiloBuilder builder, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configuration);
        var orleans = Read<ShadowOrleansOptions>(configuration, ShadowOrleansOptions.SectionName);
        Check(orleans, new ShadowOrleansOptionsValidator());
        var storage = Read<ShadowStorageOptions>(configuration, ShadowStorageOptions.SectionName);
        Check(storage, new ShadowStorageOptionsValidator());
        if (storage.Kind == ShadowStorageOptions.PostgreSqlKind)
        {
            builder.UseShadowCluster(orleans, storage.ConnectionString!);
        }
        else
        {
            builder.UseLocalhostClustering(orleans.SiloPort, orleans.GatewayPort, serviceId: orleans.ServiceId, clusterId: orleans.ClusterId);
        }

        return builder.AddShadowGrains(configuration);
    }

    /// <summary>The <see cref="IServiceCollection"/> form of <see cref="AddShadowGrains(ISiloBuilder, IConfiguration)"/> (everything but storage).</summary>
    public static IServiceCollection AddShadowGrains(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddShadowSerialization();
        services.AddOptions<ShadowOptions>().Bind(configuration.GetSection(ShadowOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<WorkspaceOptions>().Bind(configuration.GetSection(WorkspaceOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<GitOptions>().Bind(configuration.GetSection(GitOptions.SectionName));
        services.AddOptions<FeedOptions>().Bind(configuration.GetSection(FeedOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSidecarClient(configuration);
        services.AddShadowAgent(configuration);

        var runtime = Read<ShadowRuntimeOptions>(configuration, ShadowRuntimeOptions.SectionName);
        Check(runtime, new ShadowRuntimeOptionsValidator());
        if (runtime.Kind == KubernetesPodRuntime.RuntimeKind)
        {
            services.AddKubernetesWorkspaceRuntime();
        }
        else if (runtime.Kind == MicroVmRuntime.RuntimeKind)
        {
            services.AddMicroVmWorkspaceRuntime();
        }
        else
        {
            services.AddLocalWorkspaceRuntime();
        }

        services.AddOrphanReconciler();
        return services;
    }

    private static T Read<T>(IConfiguration configuration, string section)
        where T : class, new() =>
        configuration.GetSection(section).Get<T>() ?? new T();

    private static void Check<T>(T options, IValidateOptions<T> validator)
        where T : class
    {
        var result = validator.Validate(Options.DefaultName, options);
        if (result.Failed)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(T), result.Failures);
        }
    }
}
