namespace Shadow.Testing;

/// <summary>
/// A real sidecar process on a fresh temp folder (<c>ws/</c> workspace, <c>state/</c> state folder) with an authenticated
/// <see cref="HttpClient"/>; disposing kills the process and removes the folders. The shared base of every test fixture.
/// </summary>
public sealed class TempSidecar : IAsyncDisposable
{
    private TempSidecar(TempDirectory root, SidecarProcess process)
    {
        Root = root;
        Process = process;
        Http = process.CreateHttpClient();
    }

    public TempDirectory Root { get; }

    public SidecarProcess Process { get; }

    public HttpClient Http { get; }

    public string Workspace => Process.Workspace;

    /// <summary>Creates the folders, lets <paramref name="prepare"/> fill the root (e.g. a bare remote, planted links), then starts the sidecar.</summary>
    public static async Task<TempSidecar> StartAsync(string prefix, Action<TempDirectory, string>? prepare = null,
        CancellationToken cancellationToken = default, params string[] extraArgs)
    {
        var root = new TempDirectory(prefix);
        try
        {
            var workspace = root.CreateSubdirectory("ws");
            prepare?.Invoke(root, workspace);
            var process = await SidecarProcess.StartAsync(workspace, root.Combine("state"), null, cancellationToken, extraArgs).ConfigureAwait(false);
            return new TempSidecar(root, process);
        }
        catch
        {
            root.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Process.DisposeAsync().ConfigureAwait(false);
        Root.Dispose();
    }
}
