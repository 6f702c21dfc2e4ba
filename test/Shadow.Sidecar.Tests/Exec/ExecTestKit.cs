using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using Shadow.Sidecar.Contracts;
using Shadow.Sidecar.Contracts.Exec;
using Shadow.Sidecar.Contracts.Terminal;
using Shouldly;

namespace Shadow.Sidecar.Tests.Exec;

/// <summary>Small helpers shared by the exec and terminal tests (raw HTTP: the sidecar is the thing under test).</summary>
internal static class ExecTestKit
{
    public static async Task<ExecResponse> ExecAsync(HttpClient http, ExecRequest request, CancellationToken cancellationToken)
    {
        using var response = await http.PostAsJsonAsync(SidecarRoutes.Exec.Run, request, SidecarJson.Options, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        response.StatusCode.ShouldBe(HttpStatusCode.OK, body);
        return System.Text.Json.JsonSerializer.Deserialize(body, ExecJsonContext.Default.ExecResponse)!;
    }

    public static async Task<T> GetAsync<T>(HttpClient http, string route, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type,
        CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(route, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        response.StatusCode.ShouldBe(HttpStatusCode.OK, body);
        return System.Text.Json.JsonSerializer.Deserialize(body, type)!;
    }

    public static Task<TerminalHistoryResponse> HistoryAsync(HttpClient http, long since, CancellationToken cancellationToken, int limit = 10_000) =>
        GetAsync(http, $"{SidecarRoutes.Terminal.History}?since={since}&limit={limit}", TerminalJsonContext.Default.TerminalHistoryResponse, cancellationToken);

    public static Task<TerminalStatsResponse> StatsAsync(HttpClient http, CancellationToken cancellationToken) =>
        GetAsync(http, SidecarRoutes.Terminal.Stats, TerminalJsonContext.Default.TerminalStatsResponse, cancellationToken);

    /// <summary>Whether a process no longer runs (gone from /proc, or a zombie nobody has reaped yet).</summary>
    public static bool IsGone(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return true;
        }

        var state = stat[(stat.LastIndexOf(')') + 2)..][0];
        return state is 'Z' or 'X';
    }

    public static async Task WaitUntilAsync(Func<bool> condition, TimeSpan within, string what, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            if (watch.Elapsed > within)
            {
                throw new TimeoutException($"Waited {within.TotalSeconds} s for {what}.");
            }

            await Task.Delay(25, cancellationToken);
        }
    }

    public static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan within, string what, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        while (!await condition())
        {
            if (watch.Elapsed > within)
            {
                throw new TimeoutException($"Waited {within.TotalSeconds} s for {what}.");
            }

            await Task.Delay(25, cancellationToken);
        }
    }

    /// <summary>Asserts that <paramref name="path"/> (appended to by a command's child every few ms) exists and no longer grows.</summary>
    public static async Task AssertStopsGrowingAsync(string path, CancellationToken cancellationToken)
    {
        File.Exists(path).ShouldBeTrue($"{path} was never written: the child did not run");
        var before = new FileInfo(path).Length;
        await Task.Delay(300, cancellationToken);
        new FileInfo(path).Length.ShouldBe(before, $"something still appends to {path}: the child outlived its command");
    }

    /// <summary>Waits for a command to write its pid into <paramref name="path"/> and returns it.</summary>
    public static async Task<int> ReadPidFileAsync(string path, CancellationToken cancellationToken)
    {
        var pid = 0;
        await WaitUntilAsync(() => File.Exists(path) && int.TryParse(File.ReadAllText(path).Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out pid),
            TimeSpan.FromSeconds(15), $"a pid in {path}", cancellationToken);
        return pid;
    }

    public static async Task WaitGoneAsync(int pid, CancellationToken cancellationToken, int seconds = 15) =>
        await WaitUntilAsync(() => IsGone(pid), TimeSpan.FromSeconds(seconds), $"process {pid} to end", cancellationToken);

    /// <summary>Opens an SSE request and returns the response with headers read (the body still streaming).</summary>
    public static async Task<HttpResponseMessage> OpenSseAsync(HttpClient http, HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Accept.ParseAdd("text/event-stream");
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            response.Dispose();
            throw new InvalidOperationException($"SSE request answered {(int)response.StatusCode}: {body}");
        }

        return response;
    }

    public static async IAsyncEnumerable<SseItem<string>> ReadSseAsync(HttpResponseMessage response, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        await foreach (var item in SseParser.Create(body).EnumerateAsync(cancellationToken))
        {
            yield return item;
        }
    }

    public static TerminalEntry Entry(SseItem<string> item) =>
        System.Text.Json.JsonSerializer.Deserialize(item.Data, TerminalJsonContext.Default.TerminalEntry)!;
}
