using System.Net.Http.Json;
using Shadow.Sidecar.Contracts;
using Shadow.Sidecar.Contracts.Watch;
using Shadow.Testing;

namespace Shadow.Sidecar.Tests.Watch;

/// <summary>A real sidecar on a fresh workspace for watcher tests, with helpers to poll <c>/watch/events</c>.</summary>
internal sealed class WatchTestSidecar : IAsyncDisposable
{
    private readonly TempSidecar _sidecar;

    private WatchTestSidecar(TempSidecar sidecar) => _sidecar = sidecar;

    public TempDirectory Dir => _sidecar.Root;

    public string Workspace => _sidecar.Workspace;

    public SidecarProcess Sidecar => _sidecar.Process;

    public HttpClient Http => _sidecar.Http;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static async Task<WatchTestSidecar> StartAsync(params string[] extraArgs)
    {
        return new WatchTestSidecar(await TempSidecar.StartAsync("shadow-watch", null, Ct, extraArgs));
    }

    public string PathOf(string relative) => Path.Combine(Workspace, relative);

    public void Write(string relative, string content)
    {
        var full = PathOf(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
    }

    public async Task<WatchEventsResponse> EventsAsync(long since = 0) =>
        (await Http.GetFromJsonAsync<WatchEventsResponse>($"{SidecarRoutes.Watch.Events}?since={since}", SidecarJson.Options, Ct))!;

    public async Task<WatchStatusResponse> StatusAsync() =>
        (await Http.GetFromJsonAsync<WatchStatusResponse>(SidecarRoutes.Watch.Status, SidecarJson.Options, Ct))!;

    public async Task<WatchStatusResponse> PostAsync(string route)
    {
        using var response = await Http.PostAsync(route, null, Ct);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<WatchStatusResponse>(SidecarJson.Options, Ct))!;
    }

    /// <summary>Polls until an event matching <paramref name="match"/> is recorded (10 s deadline); returns all events so far.</summary>
    public async Task<IReadOnlyList<WatchEvent>> WaitForAsync(Func<WatchEvent, bool> match, string what, long since = 0)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            var events = (await EventsAsync(since)).Events;
            if (events.Any(match))
            {
                return events;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"No watch event for {what} within 10 s. Events: {string.Join("; ", events.Select(e => $"{e.Seq} {e.Kind} {e.OldPath}->{e.Path}"))}");
            }

            await Task.Delay(25, Ct);
        }
    }

    public ValueTask DisposeAsync() => _sidecar.DisposeAsync();
}
