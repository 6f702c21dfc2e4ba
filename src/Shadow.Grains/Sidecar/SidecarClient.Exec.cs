using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Shadow.Sidecar.Contracts;
using Shadow.Sidecar.Contracts.Exec;
using Shadow.Sidecar.Contracts.Terminal;

namespace Shadow.Grains.Sidecar;

public sealed partial class SidecarClient
{
    /// <summary>The sidecar's default command timeout, assumed when a request names none.</summary>
    public const int DefaultExecTimeoutSeconds = 30;

    /// <summary>Added to a command's timeout for the HTTP attempt: killing the process group and answering take a moment.</summary>
    public static readonly TimeSpan ExecTimeoutMargin = TimeSpan.FromSeconds(15);

    /// <summary>
    /// <c>POST /exec</c>: runs a command in the foreground and returns its exit code and (capped) output. Never retried (a
    /// command must not run twice). The HTTP attempt may last the command's timeout plus <see cref="ExecTimeoutMargin"/>;
    /// the <see cref="HttpClient"/> given to this client must not have a shorter <see cref="HttpClient.Timeout"/>.
    /// </summary>
    public Task<ExecResponse> ExecAsync(ExecRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return PostAsync(SidecarRoutes.Exec.Run, request, ExecJsonContext.Default.ExecRequest, ExecJsonContext.Default.ExecResponse,
            idempotent: false, AttemptTimeoutFor(request.TimeoutSeconds), cancellationToken);
    }

    /// <summary>
    /// <c>POST /exec/stream</c>: runs a command and yields a <c>start</c> event, its stdout/stderr chunks as they happen, and
    /// a final <c>exit</c> event. Never retried. Stopping the enumeration (or cancelling) kills the command's process group.
    /// </summary>
    public async IAsyncEnumerable<ExecStreamEvent> ExecStreamAsync(ExecRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var items = StreamAsync(
            () => new HttpRequestMessage(HttpMethod.Post, SidecarRoutes.Exec.Stream) { Content = JsonContent.Create(request, ExecJsonContext.Default.ExecRequest) },
            ParseExecEvent, lastEventId: null, resumeOnBreak: false, cancellationToken);
        await foreach (var item in items.ConfigureAwait(false))
        {
            if (item.Data is { } data)
            {
                yield return data;
            }
        }
    }

    /// <summary><c>POST /exec/background</c>: starts a command that runs until it exits or is killed. Never retried.</summary>
    public Task<BackgroundExecStarted> StartBackgroundAsync(BackgroundExecRequest request, CancellationToken cancellationToken = default) =>
        PostAsync(SidecarRoutes.Exec.Background, request, ExecJsonContext.Default.BackgroundExecRequest, ExecJsonContext.Default.BackgroundExecStarted,
            idempotent: false, cancellationToken);

    /// <summary><c>GET /exec/background</c>: running and recently finished background commands.</summary>
    public Task<BackgroundCommandList> ListBackgroundAsync(CancellationToken cancellationToken = default) =>
        GetAsync(SidecarRoutes.Exec.Background, ExecJsonContext.Default.BackgroundCommandList, cancellationToken);

    /// <summary><c>GET /exec/background/{id}/output?since=&amp;limit=</c>: the command's entries after <paramref name="since"/> and its status.</summary>
    public Task<BackgroundOutputResponse> GetBackgroundOutputAsync(string id, long? since = null, int? limit = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        return GetAsync(WithQuery(SidecarRoutes.Exec.BackgroundOutput(id), ("since", since), ("limit", limit)),
            ExecJsonContext.Default.BackgroundOutputResponse, cancellationToken);
    }

    /// <summary><c>POST /exec/background/{id}/kill</c>: ends the command's process group; answers once it has ended. Safe to retry.</summary>
    public Task<BackgroundCommandInfo> KillBackgroundAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        return PostAsync(SidecarRoutes.Exec.BackgroundKill(id), ExecJsonContext.Default.BackgroundCommandInfo, idempotent: true, cancellationToken);
    }

    private static TimeSpan AttemptTimeoutFor(int? timeoutSeconds) =>
        TimeSpan.FromSeconds(Math.Max(timeoutSeconds ?? DefaultExecTimeoutSeconds, 1)) + ExecTimeoutMargin;

    private static ExecStreamEvent ParseExecEvent(string eventType, ReadOnlySpan<byte> data) => eventType switch
    {
        "start" => new ExecStreamEvent(ExecStreamEventType.Start, JsonSerializer.Deserialize(data, ExecJsonContext.Default.ExecStartedEvent), null, null),
        "stdout" => new ExecStreamEvent(ExecStreamEventType.Stdout, null, JsonSerializer.Deserialize(data, TerminalJsonContext.Default.TerminalEntry), null),
        "stderr" => new ExecStreamEvent(ExecStreamEventType.Stderr, null, JsonSerializer.Deserialize(data, TerminalJsonContext.Default.TerminalEntry), null),
        "gap" => new ExecStreamEvent(ExecStreamEventType.Gap, null, JsonSerializer.Deserialize(data, TerminalJsonContext.Default.TerminalEntry), null),
        "exit" => new ExecStreamEvent(ExecStreamEventType.Exit, null, null, JsonSerializer.Deserialize(data, ExecJsonContext.Default.ExecExitEvent)),
        _ => throw new JsonException($"Unknown exec stream event '{eventType}'."),
    };
}
