using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Shadow.Grains.Sidecar;
using Shouldly;

namespace Shadow.Grains.Tests.Sidecar;

/// <summary>Binding and validation of <c>Shadow:Sidecar:Client:*</c> and <c>Shadow:Runtime:Chaos:*</c>.</summary>
public sealed class OptionsTests
{
    private static ServiceProvider Build(Dictionary<string, string?> settings) =>
        new ServiceCollection().AddSidecarClient(new ConfigurationBuilder().AddInMemoryCollection(settings).Build()).BuildServiceProvider();

    [Theory]
    [InlineData("Shadow:Runtime:Chaos:FaultRate", "1.5")]
    [InlineData("Shadow:Runtime:Chaos:FaultRate", "-0.1")]
    [InlineData("Shadow:Runtime:Chaos:OutcomeRate", "2")]
    [InlineData("Shadow:Runtime:Chaos:LatencyRate", "1.01")]
    [InlineData("Shadow:Runtime:Chaos:Latency", "02:00:00")]
    [InlineData("Shadow:Sidecar:Client:AttemptTimeout", "00:00:00")]
    [InlineData("Shadow:Sidecar:Client:MaxRetryAttempts", "50")]
    [InlineData("Shadow:Sidecar:Client:BreakerFailureRatio", "0")]
    [InlineData("Shadow:Sidecar:Client:BreakerMinimumThroughput", "1")]
    [InlineData("Shadow:Sidecar:Client:BreakerBreakDuration", "00:00:00.100")]
    public void AddSidecarClient_SettingOutOfRange_StartupValidationNamesTheSetting(string key, string value)
    {
        using var services = Build(new() { [key] = value });

        // Act
        var error = Should.Throw<OptionsValidationException>(() => services.GetRequiredService<IStartupValidator>().Validate());

        // Assert
        error.Message.ShouldContain(key);
    }

    [Fact]
    public void AddSidecarClient_LatencyRateWithoutLatency_CrossFieldRuleNamesBothSettings()
    {
        using var services = Build(new() { ["Shadow:Runtime:Chaos:LatencyRate"] = "0.5", ["Shadow:Runtime:Chaos:Latency"] = "00:00:00" });

        // Act
        var error = Should.Throw<OptionsValidationException>(() => services.GetRequiredService<IOptions<SidecarChaosOptions>>().Value);

        // Assert
        error.Failures.ShouldContain(f => f.Contains("Shadow:Runtime:Chaos:Latency must be positive", StringComparison.Ordinal)
            && f.Contains("Shadow:Runtime:Chaos:LatencyRate", StringComparison.Ordinal));
    }

    [Fact]
    public void AddSidecarClient_RetryMaxDelayBelowBase_CrossFieldRuleNamesBothSettings()
    {
        using var services = Build(new() { ["Shadow:Sidecar:Client:RetryBaseDelay"] = "00:00:02", ["Shadow:Sidecar:Client:RetryMaxDelay"] = "00:00:01" });

        // Act
        var error = Should.Throw<OptionsValidationException>(() => services.GetRequiredService<IOptions<SidecarClientOptions>>().Value);

        // Assert
        error.Message.ShouldContain("Shadow:Sidecar:Client:RetryMaxDelay");
        error.Message.ShouldContain("Shadow:Sidecar:Client:RetryBaseDelay");
    }

    [Fact]
    public void AddSidecarClient_ValidConfiguration_BindsEverySettingAndBuildsTheFactory()
    {
        using var services = Build(new()
        {
            ["Shadow:Runtime:Chaos:Enabled"] = "true",
            ["Shadow:Runtime:Chaos:FaultRate"] = "0.25",
            ["Shadow:Runtime:Chaos:OutcomeRate"] = "0.1",
            ["Shadow:Runtime:Chaos:LatencyRate"] = "0.5",
            ["Shadow:Runtime:Chaos:Latency"] = "00:00:00.250",
            ["Shadow:Sidecar:Client:AttemptTimeout"] = "00:00:10",
            ["Shadow:Sidecar:Client:MaxRetryAttempts"] = "5",
        });

        // Act
        services.GetRequiredService<IStartupValidator>().Validate();
        var chaos = services.GetRequiredService<IOptions<SidecarChaosOptions>>().Value;
        var client = services.GetRequiredService<IOptions<SidecarClientOptions>>().Value;
        var factory = services.GetRequiredService<SidecarClientFactory>();

        // Assert
        chaos.Enabled.ShouldBeTrue();
        chaos.FaultRate.ShouldBe(0.25);
        chaos.OutcomeRate.ShouldBe(0.1);
        chaos.LatencyRate.ShouldBe(0.5);
        chaos.Latency.ShouldBe(TimeSpan.FromMilliseconds(250));
        client.AttemptTimeout.ShouldBe(TimeSpan.FromSeconds(10));
        client.MaxRetryAttempts.ShouldBe(5);
        factory.HttpClient.Timeout.ShouldBe(Timeout.InfiniteTimeSpan);
        services.GetRequiredService<TimeProvider>().ShouldBeSameAs(TimeProvider.System);
    }

    [Fact]
    public void AddSidecarClient_NoSettings_DefaultsAreValidAndChaosIsOff()
    {
        using var services = Build([]);

        // Act
        services.GetRequiredService<IStartupValidator>().Validate();
        var chaos = services.GetRequiredService<IOptions<SidecarChaosOptions>>().Value;

        // Assert
        chaos.Enabled.ShouldBeFalse();
        new SidecarClientOptions().Validate().ShouldBeEmpty();
        chaos.Validate().ShouldBeEmpty();
    }

    [Fact]
    public void Create_InvalidChaos_ThrowsNamingTheSetting()
    {
        // Act
        var error = Should.Throw<ArgumentException>(() =>
            SidecarResilience.Create(new SidecarClientOptions(), TimeProvider.System, new SidecarChaosOptions { FaultRate = double.NaN }));

        // Assert
        error.Message.ShouldContain("Shadow:Runtime:Chaos:FaultRate");
    }
}
