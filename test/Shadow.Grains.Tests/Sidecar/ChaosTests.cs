using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Shadow.Grains.Sidecar;
using Shouldly;

namespace Shadow.Grains.Tests.Sidecar;

/// <summary>Mock mode: chaos switched on from configuration, injected latency on the pipeline's clock.</summary>
public sealed class ChaosTests(SidecarClientFixture fixture) : IClassFixture<SidecarClientFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task StatusAsync_InjectedLatency_CompletesOnlyAfterTheClockAdvancedByIt()
    {
        var time = new FakeTimeProvider();
        var options = ClientHarness.Fast();
        options.AttemptTimeout = TimeSpan.FromHours(1);
        var latency = TimeSpan.FromMinutes(5);
        using var harness = new ClientHarness(options, new SidecarChaosOptions { Enabled = true, LatencyRate = 1, Latency = latency }, time);
        var client = harness.Client(fixture.Sidecar);

        // Act
        var call = client.StatusAsync(Ct);
        var advanced = TimeSpan.Zero;
        var deadline = TimeProvider.System.GetTimestamp();
        while (!call.IsCompleted && advanced < TimeSpan.FromMinutes(30))
        {
            // Bounded poll: advance the fake clock a minute at a time until the delayed call goes through.
            await Task.Delay(25, Ct);
            if (call.IsCompleted)
            {
                break;
            }

            time.Advance(TimeSpan.FromMinutes(1));
            advanced += TimeSpan.FromMinutes(1);
        }

        var status = await call.WaitAsync(TimeSpan.FromSeconds(30), Ct);

        // Assert
        status.Workspace.ShouldEndWith("/ws");
        advanced.ShouldBeGreaterThanOrEqualTo(latency, "the call waited for the injected latency on the pipeline's clock");
        harness.Events["Chaos.OnLatency"].ShouldBe(1);
        TimeProvider.System.GetElapsedTime(deadline).ShouldBeLessThan(TimeSpan.FromMinutes(1), "no real time was spent on the fake latency");
    }

    [Fact]
    public async Task AddSidecarClient_ChaosSwitchedOnAndOffByConfigurationReload_FollowedLive()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Shadow:Sidecar:Client:MaxRetryAttempts"] = "0",
            ["Shadow:Sidecar:Client:BreakerMinimumThroughput"] = "1000",
            ["Shadow:Runtime:Chaos:Enabled"] = "false",
            ["Shadow:Runtime:Chaos:FaultRate"] = "1",
        }).Build();
        await using var services = new ServiceCollection().AddSidecarClient(configuration).BuildServiceProvider();
        var client = services.GetRequiredService<SidecarClientFactory>().Get(fixture.Sidecar.Endpoint);
        (await client.StatusAsync(Ct)).Workspace.ShouldEndWith("/ws");

        // Act
        configuration["Shadow:Runtime:Chaos:Enabled"] = "true";
        configuration.Reload();
        var faulted = await Should.ThrowAsync<HttpRequestException>(() => client.StatusAsync(Ct));
        configuration["Shadow:Runtime:Chaos:Enabled"] = "false";
        configuration.Reload();
        var healthy = await client.StatusAsync(Ct);

        // Assert
        faulted.Message.ShouldBe(SidecarResilience.ChaosFaultMessage);
        healthy.Workspace.ShouldEndWith("/ws");
    }

    [Fact]
    public async Task AddSidecarClient_ReloadWithInvalidChaos_KeepsLastValidSettings()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Shadow:Sidecar:Client:MaxRetryAttempts"] = "0",
            ["Shadow:Runtime:Chaos:Enabled"] = "false",
        }).Build();
        await using var services = new ServiceCollection().AddSidecarClient(configuration).BuildServiceProvider();
        var client = services.GetRequiredService<SidecarClientFactory>().Get(fixture.Sidecar.Endpoint);
        await client.StatusAsync(Ct);

        // Act
        configuration["Shadow:Runtime:Chaos:Enabled"] = "true";
        configuration["Shadow:Runtime:Chaos:FaultRate"] = "7";
        try
        {
            configuration.Reload();
        }
        catch (AggregateException e) when (e.InnerException is OptionsValidationException)
        {
            // The options monitor re-validates in the reload callback and throws there; the client must carry on.
        }

        var status = await client.StatusAsync(Ct);

        // Assert
        status.Workspace.ShouldEndWith("/ws");
    }
}
