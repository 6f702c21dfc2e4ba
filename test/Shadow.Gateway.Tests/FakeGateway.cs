namespace Shadow.Gateway.Tests;

/// <summary>One gateway over the fake grains, shared by the endpoint tests (one silo start for all of them).</summary>
public sealed class FakeGateway() : GatewayFactory(fakeGrains: true);

[CollectionDefinition(Name)]
public sealed class FakeGatewayCollection : ICollectionFixture<FakeGateway>
{
    public const string Name = "fake gateway";
}
