using Shadow.Testing;

namespace Shadow.Sidecar.Tests;

/// <summary>One real sidecar process per test class, on a fresh workspace folder.</summary>
public sealed class SidecarFixture : IAsyncLifetime
{
    private readonly TempDirectory _root = new("shadow-sidecar");

    public SidecarProcess Sidecar { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    public string Workspace => Sidecar.Workspace;

    public async ValueTask InitializeAsync()
    {
        var workspace = _root.CreateSubdirectory("ws");
        Sidecar = await SidecarProcess.StartAsync(workspace, _root.Combine("state"));
        Http = Sidecar.CreateHttpClient();
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Sidecar.DisposeAsync();
        _root.Dispose();
    }
}
