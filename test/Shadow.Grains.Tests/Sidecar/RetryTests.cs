using System.Net;
using Polly.Timeout;
using Shadow.Grains.Sidecar;
using Shadow.Sidecar.Contracts;
using Shadow.Sidecar.Contracts.Common;
using Shouldly;

namespace Shadow.Grains.Tests.Sidecar;

/// <summary>Retry under injected faults, against a real sidecar process.</summary>
public sealed class RetryTests(SidecarClientFixture fixture) : IClassFixture<SidecarClientFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task StatusAsync_HealthySidecar_AnswersInOneAttempt()
    {
        using var harness = new ClientHarness();
        var client = harness.Client(fixture.Sidecar);

        // Act
        var status = await client.StatusAsync(Ct);
        var health = await client.HealthAsync(Ct);

        // Assert
        status.Workspace.ShouldEndWith("/ws");
        health.Status.ShouldBe("ok");
        harness.Wire.Count.ShouldBe(2);
        harness.Events.Attempts.ShouldBe(2);
        harness.Events["OnRetry"].ShouldBe(0);
    }

    [Fact]
    public async Task StatusAsync_FaultRateHalf_RetriesAbsorbEveryInjectedFault()
    {
        var options = ClientHarness.Fast();
        options.MaxRetryAttempts = 10;
        options.BreakerMinimumThroughput = 10_000;
        using var harness = new ClientHarness(options, new SidecarChaosOptions { Enabled = true, FaultRate = 0.5 });
        var client = harness.Client(fixture.Sidecar);

        // Act
        for (var i = 0; i < 20; i++)
        {
            (await client.StatusAsync(Ct)).Workspace.ShouldEndWith("/ws");
        }

        // Assert
        var faults = harness.Events["Chaos.OnFault"];
        faults.ShouldBeInRange(4, 36, "about half of the attempts should have been faulted");
        harness.Events["OnRetry"].ShouldBe(faults);
        harness.Events.Attempts.ShouldBe(20 + faults);
        harness.Wire.Count.ShouldBe(20, "injected faults never reach the wire; each call's last attempt does");
    }

    [Theory]
    [InlineData(true, 6)]
    [InlineData(false, 1)]
    public async Task PostAsync_EveryAttemptFaulted_RetriedOnlyWhenIdempotent(bool idempotent, int expectedAttempts)
    {
        var options = ClientHarness.Fast();
        options.MaxRetryAttempts = 5;
        options.BreakerMinimumThroughput = 10_000;
        using var harness = new ClientHarness(options, new SidecarChaosOptions { Enabled = true, FaultRate = 1 });
        var client = harness.Client(fixture.Sidecar);

        // Act
        var error = await Should.ThrowAsync<HttpRequestException>(
            () => client.PostAsync(SidecarRoutes.Status, CommonJsonContext.Default.StatusResponse, idempotent, Ct));

        // Assert
        error.Message.ShouldBe(SidecarResilience.ChaosFaultMessage);
        harness.Events.Attempts.ShouldBe(expectedAttempts);
        harness.Events["Chaos.OnFault"].ShouldBe(expectedAttempts);
        harness.Wire.Count.ShouldBe(0);
    }

    [Theory]
    [InlineData(true, 4)]
    [InlineData(false, 1)]
    public async Task PostAsync_Injected503_RetriedOnlyWhenIdempotentThenSurfacesProblem(bool idempotent, int expectedAttempts)
    {
        var options = ClientHarness.Fast();
        options.BreakerMinimumThroughput = 10_000;
        using var harness = new ClientHarness(options, new SidecarChaosOptions { Enabled = true, OutcomeRate = 1 });
        var client = harness.Client(fixture.Sidecar);

        // Act
        var error = await Should.ThrowAsync<SidecarProblemException>(
            () => client.PostAsync(SidecarRoutes.Status, CommonJsonContext.Default.StatusResponse, idempotent, Ct));

        // Assert
        error.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        error.Problem.Detail.ShouldBe(SidecarResilience.ChaosOutcomeDetail);
        error.IsTransient.ShouldBeTrue();
        harness.Events.Attempts.ShouldBe(expectedAttempts);
        harness.Wire.Count.ShouldBe(0);
    }

    [Fact]
    public async Task StatusAsync_WrongToken_401AfterExactlyOneRequest()
    {
        using var harness = new ClientHarness();
        var client = harness.Client(new SidecarEndpoint(fixture.Sidecar.Endpoint.BaseAddress, "not-the-token"));

        // Act
        var error = await Should.ThrowAsync<SidecarProblemException>(() => client.StatusAsync(Ct));

        // Assert
        error.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        error.Problem.Detail.ShouldNotBeNullOrEmpty();
        error.IsTransient.ShouldBeFalse();
        harness.Wire.Count.ShouldBe(1);
        harness.Events["OnRetry"].ShouldBe(0);
    }

    [Fact]
    public async Task GetAsync_UnknownRoute_404AfterExactlyOneRequest()
    {
        using var harness = new ClientHarness();
        var client = harness.Client(fixture.Sidecar);

        // Act
        var error = await Should.ThrowAsync<SidecarProblemException>(
            () => client.GetAsync("/no-such-route", CommonJsonContext.Default.StatusResponse, Ct));

        // Assert
        error.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        harness.Wire.Count.ShouldBe(1);
    }

    [Fact]
    public async Task PostAsync_MethodNotAllowedOnIdempotentCall_NotRetried()
    {
        using var harness = new ClientHarness();
        var client = harness.Client(fixture.Sidecar);

        // Act
        var error = await Should.ThrowAsync<SidecarProblemException>(
            () => client.PostAsync(SidecarRoutes.Status, CommonJsonContext.Default.StatusResponse, idempotent: true, Ct));

        // Assert
        error.StatusCode.ShouldBe(HttpStatusCode.MethodNotAllowed);
        harness.Wire.Count.ShouldBe(1);
    }

    [Fact]
    public async Task StatusAsync_InjectedLatencyBeyondAttemptTimeout_EachAttemptTimesOutAndIsRetried()
    {
        var options = ClientHarness.Fast();
        options.AttemptTimeout = TimeSpan.FromMilliseconds(100);
        options.MaxRetryAttempts = 2;
        options.BreakerMinimumThroughput = 10_000;
        using var harness = new ClientHarness(options, new SidecarChaosOptions { Enabled = true, LatencyRate = 1, Latency = TimeSpan.FromSeconds(30) });
        var client = harness.Client(fixture.Sidecar);

        // Act
        await Should.ThrowAsync<TimeoutRejectedException>(() => client.StatusAsync(Ct));

        // Assert
        harness.Events["OnTimeout"].ShouldBe(3);
        harness.Events.Attempts.ShouldBe(3);
        harness.Wire.Count.ShouldBe(0);
    }

    [Fact]
    public async Task GetAsync_PerCallTimeoutAboveInjectedLatency_SucceedsWhereDefaultTimesOut()
    {
        var options = ClientHarness.Fast();
        options.AttemptTimeout = TimeSpan.FromMilliseconds(200);
        options.MaxRetryAttempts = 0;
        options.BreakerMinimumThroughput = 10_000;
        var latency = TimeSpan.FromMilliseconds(800);
        using var harness = new ClientHarness(options, new SidecarChaosOptions { Enabled = true, LatencyRate = 1, Latency = latency });
        var client = harness.Client(fixture.Sidecar);
        await Should.ThrowAsync<TimeoutRejectedException>(() => client.StatusAsync(Ct));
        var started = TimeProvider.System.GetTimestamp();

        // Act
        var status = await client.GetAsync(SidecarRoutes.Status, CommonJsonContext.Default.StatusResponse, TimeSpan.FromMinutes(10), Ct);

        // Assert
        status.Workspace.ShouldEndWith("/ws");
        TimeProvider.System.GetElapsedTime(started).ShouldBeGreaterThanOrEqualTo(latency - TimeSpan.FromMilliseconds(20), "the injected latency was applied");
        harness.Wire.Count.ShouldBe(1);
    }

    [Fact]
    public async Task StatusAsync_CallerCancelsDuringInjectedLatency_CancelledWithoutRetry()
    {
        var options = ClientHarness.Fast();
        options.MaxRetryAttempts = 5;
        using var harness = new ClientHarness(options, new SidecarChaosOptions { Enabled = true, LatencyRate = 1, Latency = TimeSpan.FromMinutes(5) });
        var client = harness.Client(fixture.Sidecar);
        using var caller = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        caller.CancelAfter(TimeSpan.FromMilliseconds(200));
        var started = TimeProvider.System.GetTimestamp();

        // Act
        await Should.ThrowAsync<OperationCanceledException>(() => client.StatusAsync(caller.Token));

        // Assert
        TimeProvider.System.GetElapsedTime(started).ShouldBeLessThan(TimeSpan.FromSeconds(30));
        harness.Events.Attempts.ShouldBe(1);
        harness.Events["OnRetry"].ShouldBe(0);
        harness.Wire.Count.ShouldBe(0);
    }
}
