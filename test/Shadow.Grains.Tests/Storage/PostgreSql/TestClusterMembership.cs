using System.Reflection;
using Orleans.TestingHost;

namespace Shadow.Grains.Tests.Storage.PostgreSql;

/// <summary>
/// Turns off <see cref="InProcessTestCluster"/>'s in-memory membership table so the silos and the client use the clustering
/// provider the test configures (PostgreSQL). The switch is internal in Orleans.TestingHost 10.4.2, hence reflection; a missing
/// property fails loudly.
/// </summary>
internal static class TestClusterMembership
{
    public static void UseConfiguredClustering(InProcessTestClusterOptions options)
    {
        var property = typeof(InProcessTestClusterOptions).GetProperty("UseTestClusterMembership", BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public)
            ?? throw new InvalidOperationException("InProcessTestClusterOptions.UseTestClusterMembership is gone: update TestClusterMembership.");
        property.SetValue(options, false);
    }
}
