using Shadow.Testing;

namespace Shadow.Sidecar.Tests;

/// <summary>One real sidecar process per test class, on a fresh workspace folder, started with <see cref="ExtraArgs"/>.</summary>
public class SidecarFixture : IAsyncLifetime
{
    private TempSidecar _sidecar = null!;

    public SidecarProcess Sidecar => _sidecar.Process;

    public HttpClient Http => _sidecar.Http;

    public string Workspace => _sidecar.Workspace;

    /// <summary>Command-line settings for the sidecar (e.g. <c>--Sidecar:Files:MaxReadBytes=1024</c>).</summary>
    protected virtual string[] ExtraArgs => [];

    /// <summary>Runs before the sidecar starts: plant files or links around the workspace.</summary>
    protected virtual void Prepare(TempDirectory root, string workspace)
    {
    }

    public async ValueTask InitializeAsync() =>
        _sidecar = await TempSidecar.StartAsync("shadow-sidecar", Prepare, default, ExtraArgs);

    public async ValueTask DisposeAsync()
    {
        await _sidecar.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}
