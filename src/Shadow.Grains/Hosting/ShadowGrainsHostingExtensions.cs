using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Hosting;
using Shadow.Grains.Abstractions.Serialization;
using Shadow.Grains.Sidecar;
using Shadow.Grains.Storage;
using Shadow.Grains.Terminals;
using Shadow.Grains.Workspaces;

namespace Shadow.Grains.Hosting;

/// <summary>Adds Shadow's grains and everything they drive to a silo.</summary>
public static class ShadowGrainsHostingExtensions
{
    /// <summary>Registers the grains' services: options (validated on start), the sidecar client, the workspace runtime chosen by
    /// <c>Shadow:Runtime:Kind</c> and the store chosen by <c>Shadow:Storage:Kind</c>.</summary>
    public static ISiloBuilder AddShadowGrains(this ISiloBuilder builder, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configuration);
        builder.Services.AddShadowGrains(configuration);
        var storage = configuration.GetSection(ShadowOptions.SectionName).Get<ShadowOptions>() ?? new ShadowOptions();
        builder.UseShadowLocalStorage(storage.DataDirFullPath);
        return builder;
    }

    /// <summary>The <see cref="IServiceCollection"/> form of <see cref="AddShadowGrains(ISiloBuilder, IConfiguration)"/>.</summary>
    public static IServiceCollection AddShadowGrains(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddShadowSerialization();
        services.AddOptions<ShadowOptions>().Bind(configuration.GetSection(ShadowOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<WorkspaceOptions>().Bind(configuration.GetSection(WorkspaceOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<FeedOptions>().Bind(configuration.GetSection(FeedOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSidecarClient(configuration);
        return services;
    }
}
