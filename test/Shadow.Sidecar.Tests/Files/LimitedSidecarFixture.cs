using Shadow.Testing;

namespace Shadow.Sidecar.Tests.Files;

/// <summary>A real sidecar started with small limits, to reach the 413 and truncation paths with small files.</summary>
public sealed class LimitedSidecarFixture : IAsyncLifetime
{
    public const int MaxReadBytes = 1024;
    public const int MaxListEntries = 3;
    public const int ListRecursiveMaxEntries = 5;
    public const int GrepTimeoutMilliseconds = 1000;
    public const int MaxGrepFileBytes = 4096;

    private readonly TempDirectory _root = new("shadow-sidecar-limits");

    public SidecarProcess Sidecar { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    public string Workspace => Sidecar.Workspace;

    public async ValueTask InitializeAsync()
    {
        var workspace = _root.CreateSubdirectory("ws");
        Sidecar = await SidecarProcess.StartAsync(workspace, _root.Combine("state"), null, default,
            $"--Sidecar:Files:MaxReadBytes={MaxReadBytes}",
            $"--Sidecar:Files:MaxListEntries={MaxListEntries}",
            $"--Sidecar:Files:ListRecursiveDefaultEntries={ListRecursiveMaxEntries}",
            $"--Sidecar:Files:ListRecursiveMaxEntries={ListRecursiveMaxEntries}",
            $"--Sidecar:Search:GrepTimeoutMillisecondsPerFile={GrepTimeoutMilliseconds}",
            $"--Sidecar:Search:MaxGrepFileBytes={MaxGrepFileBytes}");
        Http = Sidecar.CreateHttpClient();
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Sidecar.DisposeAsync();
        _root.Dispose();
    }
}
