using Shadow.Grains.Sidecar;
using Shadow.Testing;

namespace Shadow.Grains.Tests;

/// <summary>A real sidecar process on a fresh temp workspace; disposing kills it and removes the folders.</summary>
public sealed class TestSidecar : IAsyncDisposable
{
    private readonly TempSidecar _sidecar;

    private TestSidecar(TempSidecar sidecar) => _sidecar = sidecar;

    public SidecarProcess Process => _sidecar.Process;

    public string Workspace => _sidecar.Workspace;

    public SidecarEndpoint Endpoint => new(Process.BaseAddress, Process.Token);

    public static async Task<TestSidecar> StartAsync(CancellationToken cancellationToken = default, params string[] extraArgs) =>
        new(await TempSidecar.StartAsync("shadow-client", null, cancellationToken, extraArgs));

    public ValueTask DisposeAsync() => _sidecar.DisposeAsync();
}

/// <summary>One real sidecar per test class.</summary>
public sealed class SidecarClientFixture : IAsyncLifetime
{
    public TestSidecar Sidecar { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Sidecar = await TestSidecar.StartAsync();

    public async ValueTask DisposeAsync() => await Sidecar.DisposeAsync();
}
