using Shadow.Grains.Sidecar;
using Shouldly;

namespace Shadow.Grains.Tests.Sidecar;

/// <summary><see cref="SidecarClientFactory"/>: one pipeline (one breaker) per sidecar; the client's small helpers.</summary>
public sealed class FactoryTests
{
    private static SidecarEndpoint At(string address, string token = "t0ken") => new(new Uri(address), token);

    [Fact]
    public void Get_SameSidecar_SharesOnePipeline()
    {
        using var harness = new ClientHarness();

        // Act
        var a = harness.Factory.Get(At("http://127.0.0.1:5001/"));
        var b = harness.Factory.Get(At("http://127.0.0.1:5001", "another-token"));
        var c = harness.Factory.Get(At("http://127.0.0.1:5002/"));

        // Assert
        a.Resilience.ShouldBeSameAs(b.Resilience);
        c.Resilience.ShouldNotBeSameAs(a.Resilience);
        harness.Factory.Count.ShouldBe(2);
    }

    [Fact]
    public void Forget_KnownSidecar_NextClientGetsAFreshPipeline()
    {
        using var harness = new ClientHarness();
        var before = harness.Factory.Get(At("http://127.0.0.1:5003/")).Resilience;

        // Act
        var forgotten = harness.Factory.Forget(new Uri("http://127.0.0.1:5003/"));
        var after = harness.Factory.Get(At("http://127.0.0.1:5003/")).Resilience;

        // Assert
        forgotten.ShouldBeTrue();
        after.ShouldNotBeSameAs(before);
        harness.Factory.Forget(new Uri("http://127.0.0.1:5999/")).ShouldBeFalse();
    }

    [Fact]
    public void SidecarEndpoint_ToString_NeverShowsTheToken()
    {
        var endpoint = At("http://127.0.0.1:5004/", "super-secret-token");

        // Act
        var text = endpoint.ToString();

        // Assert
        text.ShouldBe("http://127.0.0.1:5004/");
        text.ShouldNotContain("super-secret-token");
    }

    [Fact]
    public void SidecarEndpoint_RelativeAddressOrEmptyToken_Rejected()
    {
        // Act + Assert
        Should.Throw<ArgumentException>(() => new SidecarEndpoint(new Uri("/relative", UriKind.Relative), "t"));
        Should.Throw<ArgumentException>(() => new SidecarEndpoint(new Uri("http://127.0.0.1:1/"), " "));
    }

    [Fact]
    public void WithQuery_Values_EscapedNullsSkippedInvariantFormat()
    {
        // Act
        var uri = SidecarClient.WithQuery("/files/read", ("path", "a b/ü&c.txt"), ("offset", 10), ("limit", null), ("recursive", true), ("ratio", 0.5));

        // Assert
        uri.ShouldBe("/files/read?path=a%20b%2F%C3%BC%26c.txt&offset=10&recursive=true&ratio=0.5");
        SidecarClient.WithQuery("/status", ("x", null)).ShouldBe("/status");
    }

    [Fact]
    public void IsTransient_Statuses_OnlyTimeoutsThrottlingAndServerErrors()
    {
        int[] transient = [408, 429, 500, 502, 503, 504];
        int[] permanent = [200, 400, 401, 403, 404, 405, 409, 413, 422, 501, 505];

        // Act + Assert
        transient.ShouldAllBe(s => SidecarClient.IsTransient((System.Net.HttpStatusCode)s));
        permanent.ShouldAllBe(s => !SidecarClient.IsTransient((System.Net.HttpStatusCode)s));
    }
}
