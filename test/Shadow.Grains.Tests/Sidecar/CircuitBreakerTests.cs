using Microsoft.Extensions.Time.Testing;
using Polly.CircuitBreaker;
using Shadow.Grains.Sidecar;
using Shadow.Sidecar.Contracts;
using Shadow.Sidecar.Contracts.Common;
using Shouldly;

namespace Shadow.Grains.Tests.Sidecar;

/// <summary>The circuit breaker of each sidecar, against real sidecar processes (killed ones, and faults injected by chaos).</summary>
public sealed class CircuitBreakerTests(SidecarClientFixture fixture) : IClassFixture<SidecarClientFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static SidecarClientOptions BreaksAfterTwoFailures() => new()
    {
        MaxRetryAttempts = 0,
        BreakerMinimumThroughput = 2,
        BreakerFailureRatio = 0.5,
        BreakerBreakDuration = TimeSpan.FromSeconds(30),
    };

    [Fact]
    public async Task StatusAsync_SidecarKilled_BreakerOpensAndFailsFastWithoutTouchingTheNetwork()
    {
        await using var sidecar = await TestSidecar.StartAsync(Ct);
        using var harness = new ClientHarness(BreaksAfterTwoFailures());
        var client = harness.Client(sidecar);
        await sidecar.Process.KillAsync();

        // Act
        var first = await Should.ThrowAsync<HttpRequestException>(() => client.StatusAsync(Ct));
        var second = await Should.ThrowAsync<HttpRequestException>(() => client.StatusAsync(Ct));
        var wireWhenOpened = harness.Wire.Count;
        var started = TimeProvider.System.GetTimestamp();
        await Should.ThrowAsync<BrokenCircuitException>(() => client.StatusAsync(Ct));
        await Should.ThrowAsync<BrokenCircuitException>(
            () => client.PostAsync(SidecarRoutes.Status, CommonJsonContext.Default.StatusResponse, idempotent: false, Ct));

        // Assert
        first.HttpRequestError.ShouldBe(HttpRequestError.ConnectionError);
        second.HttpRequestError.ShouldBe(HttpRequestError.ConnectionError);
        wireWhenOpened.ShouldBe(2);
        harness.Wire.Count.ShouldBe(wireWhenOpened, "an open breaker sends nothing");
        TimeProvider.System.GetElapsedTime(started).ShouldBeLessThan(TimeSpan.FromSeconds(1));
        client.Resilience.CircuitState.ShouldBe(CircuitState.Open);
        harness.Events["OnCircuitOpened"].ShouldBe(1);
    }

    [Fact]
    public async Task StatusAsync_BreakDurationPassedAndFaultsStopped_HalfOpenProbeClosesCircuit()
    {
        var time = new FakeTimeProvider();
        using var harness = new ClientHarness(BreaksAfterTwoFailures(), new SidecarChaosOptions { Enabled = true, FaultRate = 1 }, time);
        var client = harness.Client(fixture.Sidecar);
        await Should.ThrowAsync<HttpRequestException>(() => client.StatusAsync(Ct));
        await Should.ThrowAsync<HttpRequestException>(() => client.StatusAsync(Ct));
        client.Resilience.CircuitState.ShouldBe(CircuitState.Open);
        harness.Chaos.FaultRate = 0;

        // Act
        var stillOpen = await Should.ThrowAsync<BrokenCircuitException>(() => client.StatusAsync(Ct));
        time.Advance(TimeSpan.FromSeconds(31));
        var status = await client.StatusAsync(Ct);

        // Assert
        stillOpen.ShouldNotBeNull("a healthy sidecar is not tried before the break duration has passed");
        status.Workspace.ShouldEndWith("/ws");
        client.Resilience.CircuitState.ShouldBe(CircuitState.Closed);
        harness.Events["OnCircuitHalfOpened"].ShouldBe(1);
        harness.Events["OnCircuitClosed"].ShouldBe(1);
        harness.Wire.Count.ShouldBe(1, "only the probe reached the sidecar");
    }

    [Fact]
    public async Task StatusAsync_HalfOpenProbeFails_CircuitOpensAgain()
    {
        var time = new FakeTimeProvider();
        using var harness = new ClientHarness(BreaksAfterTwoFailures(), new SidecarChaosOptions { Enabled = true, FaultRate = 1 }, time);
        var client = harness.Client(fixture.Sidecar);
        await Should.ThrowAsync<HttpRequestException>(() => client.StatusAsync(Ct));
        await Should.ThrowAsync<HttpRequestException>(() => client.StatusAsync(Ct));
        time.Advance(TimeSpan.FromSeconds(31));

        // Act
        await Should.ThrowAsync<HttpRequestException>(() => client.StatusAsync(Ct));
        var afterProbe = await Should.ThrowAsync<BrokenCircuitException>(() => client.StatusAsync(Ct));

        // Assert
        afterProbe.ShouldNotBeNull();
        client.Resilience.CircuitState.ShouldBe(CircuitState.Open);
        harness.Events["OnCircuitOpened"].ShouldBe(2);
        harness.Events["Chaos.OnFault"].ShouldBe(3);
    }

    [Fact]
    public async Task Breaker_NonIdempotentFailures_AlsoStopIdempotentCalls()
    {
        using var harness = new ClientHarness(BreaksAfterTwoFailures(), new SidecarChaosOptions { Enabled = true, FaultRate = 1 });
        var client = harness.Client(fixture.Sidecar);
        for (var i = 0; i < 2; i++)
        {
            await Should.ThrowAsync<HttpRequestException>(
                () => client.PostAsync(SidecarRoutes.Status, CommonJsonContext.Default.StatusResponse, idempotent: false, Ct));
        }

        harness.Chaos.FaultRate = 0;

        // Act
        var error = await Should.ThrowAsync<BrokenCircuitException>(() => client.StatusAsync(Ct));

        // Assert
        error.ShouldNotBeNull();
        harness.Wire.Count.ShouldBe(0);
    }

    [Fact]
    public async Task Breaker_OneSidecarDown_OtherSidecarUnaffected()
    {
        await using var down = await TestSidecar.StartAsync(Ct);
        using var harness = new ClientHarness(BreaksAfterTwoFailures());
        var clientDown = harness.Client(down);
        var clientUp = harness.Client(fixture.Sidecar);
        await down.Process.KillAsync();
        await Should.ThrowAsync<HttpRequestException>(() => clientDown.StatusAsync(Ct));
        await Should.ThrowAsync<HttpRequestException>(() => clientDown.StatusAsync(Ct));

        // Act
        var brokenDown = await Should.ThrowAsync<BrokenCircuitException>(() => harness.Client(down).StatusAsync(Ct));
        var statuses = new List<StatusResponse>();
        for (var i = 0; i < 5; i++)
        {
            statuses.Add(await clientUp.StatusAsync(Ct));
        }

        // Assert
        brokenDown.ShouldNotBeNull("a new client of the same sidecar shares its open breaker");
        statuses.ShouldAllBe(s => s.Workspace.EndsWith("/ws", StringComparison.Ordinal));
        clientDown.Resilience.CircuitState.ShouldBe(CircuitState.Open);
        clientUp.Resilience.CircuitState.ShouldBe(CircuitState.Closed);
        clientUp.Resilience.ShouldNotBeSameAs(clientDown.Resilience);
        harness.Factory.Count.ShouldBe(2);
    }
}
