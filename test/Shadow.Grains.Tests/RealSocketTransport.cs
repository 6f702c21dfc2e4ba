using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;

namespace Shadow.Grains.Tests;

/// <summary>
/// Puts an <see cref="Orleans.TestingHost.InProcessTestCluster"/> host back on Orleans' default TCP socket transport:
/// <c>InProcessTestCluster</c> registers its in-memory transport after the defaults, so when the container is built this
/// factory drops those registrations and the socket ones registered by <c>UseOrleans</c>/<c>UseOrleansClient</c> apply.
/// Then the silo's gateway listens on a real port that a client in another host (or process) can reach.
/// </summary>
internal sealed class RealSocketTransport(bool validate) : IServiceProviderFactory<IServiceCollection>
{
    public IServiceCollection CreateBuilder(IServiceCollection services)
    {
        var inMemory = services.Where(IsInMemoryTransport).ToList();
        if (inMemory.Count == 0)
        {
            throw new InvalidOperationException("No in-memory transport registration found to replace; has InProcessTestCluster changed how it registers its transport?");
        }

        foreach (var descriptor in inMemory)
        {
            services.Remove(descriptor);
        }

        return services;
    }

    public IServiceProvider CreateServiceProvider(IServiceCollection containerBuilder) =>
        containerBuilder.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = validate, ValidateOnBuild = validate });

    private static bool IsInMemoryTransport(ServiceDescriptor d) =>
        d.IsKeyedService
        && (d.ServiceType == typeof(IConnectionFactory) || d.ServiceType == typeof(IConnectionListenerFactory))
        && (d.KeyedImplementationFactory?.Method.DeclaringType ?? d.KeyedImplementationInstance?.GetType() ?? d.KeyedImplementationType)?.FullName is { } name
        && name.Contains("InMemoryTransport", StringComparison.Ordinal);
}
