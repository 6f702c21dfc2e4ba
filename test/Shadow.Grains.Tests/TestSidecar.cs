using Shadow.Grains.Sidecar;
using Shadow.Testing;

namespace Shadow.Grains.Tests;

/// <summary>A real sidecar process on a fresh temp workspace; disposing kills it and removes the folders.</summary>
public sealed class TestSidecar : IAsyncDisposable
{
    private readonly TempDirectory _root;

    private TestSidecar(TempDirectory root, SidecarProcess process)
    {
        _root = root;
        Process = process;
    }

    public SidecarProcess Process { get; }

    public string Workspace => Process.Workspace;

    public SidecarEndpoint Endpoint => new(Process.BaseAddress, Process.Token);

    public static async Task<TestSidecar> StartAsync(CancellationToken cancellationToken = default, params string[] extraArgs)
    {
        var root = new TempDirectory("shadow-client");
        try
        {
            var process = await SidecarProcess.StartAsync(root.CreateSubdirectory("ws"), root.Combine("state"), null, cancellationToken, extraArgs);
            return new TestSidecar(root, process);
        }
        catch
        {
            root.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Process.DisposeAsync();
        _root.Dispose();
    }
}

/// <summary>One real sidecar per test class.</summary>
public sealed class SidecarClientFixture : IAsyncLifetime
{
    public TestSidecar Sidecar { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Sidecar = await TestSidecar.StartAsync();

    public async ValueTask DisposeAsync() => await Sidecar.DisposeAsync();
}
