using Shadow.Grains.Hosting;
using Shouldly;

namespace Shadow.Grains.Tests;

public sealed class ShadowOrleansOptionsTests
{
    [Theory]
    [InlineData(null, "10.0.0.1", "shadow-silo-0", true)]
    [InlineData(null, "10.0.0.1", null, false)]
    [InlineData(null, null, "shadow-silo-0", false)]
    [InlineData(null, null, null, false)]
    [InlineData(false, "10.0.0.1", "shadow-silo-0", false)]
    [InlineData(true, null, null, true)]
    public void UsesKubernetesHosting_SettingAndPodEnvironment_DecideTogether(bool? setting, string? serviceHost, string? podName, bool expected)
    {
        var sut = new ShadowOrleansOptions { KubernetesHosting = setting };
        var environment = new Dictionary<string, string?> { ["KUBERNETES_SERVICE_HOST"] = serviceHost, ["POD_NAME"] = podName };

        // Act
        var uses = sut.UsesKubernetesHosting(name => environment.GetValueOrDefault(name));

        // Assert
        uses.ShouldBe(expected);
    }
}
