using System.Globalization;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Shadow.Sidecar.Contracts;
using Shadow.Sidecar.Contracts.Exec;
using Shadow.Sidecar.Contracts.Terminal;
using Shadow.Sidecar.Hosting;
using Shadow.Sidecar.Terminal;

namespace Shadow.Sidecar.Exec;

/// <summary><c>/exec</c>, <c>/exec/stream</c> and <c>/exec/background/*</c>.</summary>
internal static class ExecEndpoints
{
    private const int StreamBatch = 512;

    public static IServiceCollection AddExec(this IServiceCollection services)
    {
        services.AddSingleton<ExecService>();
        services.AddHostedService(sp => sp.GetRequiredService<ExecService>());
        return services;
    }

    public static IEndpointRouteBuilder MapExecApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(string.Empty).WithTags("Exec");
        group.MapPost(SidecarRoutes.Exec.Run, RunAsync).WithName("Exec");
        group.MapPost(SidecarRoutes.Exec.Stream, Stream).WithName("ExecStream")
            .Produces<TerminalEntry>(StatusCodes.Status200OK, "text/event-stream");
        group.MapPost(SidecarRoutes.Exec.Background, StartBackground).WithName("ExecBackgroundStart");
        group.MapGet(SidecarRoutes.Exec.Background, ListBackground).WithName("ExecBackgroundList");
        group.MapGet(SidecarRoutes.Exec.BackgroundOutputPattern, GetBackgroundOutput).WithName("ExecBackgroundOutput");
        group.MapPost(SidecarRoutes.Exec.BackgroundKillPattern, KillBackgroundAsync).WithName("ExecBackgroundKill");
        return app;
    }

    private static async Task<ExecResponse> RunAsync(ExecRequest request, ExecService exec, CancellationToken cancellationToken)
    {
        var timeout = ValidateTimeout(request.TimeoutSeconds, exec);
        var command = exec.Start(request.Command, request.Cwd, request.Env, CommandKind.Foreground, timeout);

        // The caller gave up: nobody will read the answer, so the command goes too.
        await using var abort = cancellationToken.Register(static c => ((RunningCommand)c!).KillAsync(), command).ConfigureAwait(false);
        var result = await command.Completion.ConfigureAwait(false);
        var capture = command.Capture!;
        return new ExecResponse(command.Id, result.ExitCode, capture.Stdout, capture.Stderr, capture.StdoutTruncated || capture.StderrTruncated,
            capture.StdoutTruncated, capture.StderrTruncated, result.DurationMs, result.TimedOut, result.LimitExceeded);
    }

    private static IResult Stream(ExecRequest request, ExecService exec, TerminalBuffer terminal, HttpContext context)
    {
        var timeout = ValidateTimeout(request.TimeoutSeconds, exec);
        var command = exec.Start(request.Command, request.Cwd, request.Env, CommandKind.Stream, timeout);

        // However the response ends (done, client gone, failure before the first byte), the command does not outlive it.
        context.Response.OnCompleted(static c =>
        {
            _ = ((RunningCommand)c).KillAsync();
            return Task.CompletedTask;
        }, command);
        return TypedResults.ServerSentEvents(Follow(command, terminal, context.RequestAborted));
    }

    private static async IAsyncEnumerable<SseItem<string>> Follow(RunningCommand command, TerminalBuffer terminal,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        try
        {
            yield return new SseItem<string>(
                JsonSerializer.Serialize(new ExecStartedEvent(command.Id, command.Pid), ExecJsonContext.Default.ExecStartedEvent), "start");

            var id = command.Id;
            var cursor = command.StartSeq;
            while (true)
            {
                var page = terminal.Read(cursor, StreamBatch,
                    e => e.Stream != TerminalStream.System && string.Equals(e.CommandId, id, StringComparison.Ordinal));
                foreach (var entry in page.Entries)
                {
                    yield return new SseItem<string>(JsonSerializer.Serialize(entry, TerminalJsonContext.Default.TerminalEntry),
                        SseEventNames.For(entry.Stream))
                    {
                        EventId = entry.Seq.ToString(CultureInfo.InvariantCulture),
                    };
                }

                cursor = page.ScannedThrough;
                if (page.HasMore)
                {
                    continue;
                }

                if (command.Completion.IsCompleted && cursor >= command.EndSeq)
                {
                    break;
                }

                await Task.WhenAny(terminal.WaitForChangeAsync(cursor, page.ClearEpoch, cancellationToken), command.Completion).ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
            }

            var result = await command.Completion.ConfigureAwait(false);
            yield return new SseItem<string>(
                JsonSerializer.Serialize(new ExecExitEvent(command.Id, result.ExitCode, result.DurationMs, result.TimedOut, result.LimitExceeded), ExecJsonContext.Default.ExecExitEvent),
                "exit");
        }
        finally
        {
            // Enumeration ends early only when the client went away.
            _ = command.KillAsync();
        }
    }

    private static BackgroundExecStarted StartBackground(BackgroundExecRequest request, ExecService exec)
    {
        var command = exec.StartBackground(request.Command, request.Cwd, request.Env);
        return new BackgroundExecStarted(command.Id, command.Pid, command.StartedAt);
    }

    private static BackgroundCommandList ListBackground(ExecService exec) =>
        new([.. exec.ListBackground().Select(Describe)]);

    private static BackgroundOutputResponse GetBackgroundOutput(string id, ExecService exec, TerminalBuffer terminal, TerminalOptions options,
        long? since, int? limit)
    {
        var command = exec.FindBackground(id);

        var count = options.PageSize(limit);

        // Take the status first: if it says ended, the page below already holds the "exited" entry.
        var info = Describe(command);
        var from = Math.Max(RequestValues.Since(since), command.StartSeq - 1);
        var page = terminal.Read(from, count, e => string.Equals(e.CommandId, command.Id, StringComparison.Ordinal));
        return new BackgroundOutputResponse(info, page.Entries, page.ScannedThrough, page.HasMore);
    }

    private static async Task<BackgroundCommandInfo> KillBackgroundAsync(string id, ExecService exec, CancellationToken cancellationToken)
    {
        var command = exec.FindBackground(id);
        await command.KillAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        return Describe(command);
    }

    private static BackgroundCommandInfo Describe(RunningCommand command)
    {
        var completion = command.Completion;
        if (!completion.IsCompletedSuccessfully)
        {
            return new BackgroundCommandInfo(command.Id, command.Command, command.Cwd, command.Pid, BackgroundCommandStatus.Running, null,
                command.StartedAt, null);
        }

        var result = completion.Result;
        return new BackgroundCommandInfo(command.Id, command.Command, command.Cwd, command.Pid,
            result.Killed ? BackgroundCommandStatus.Killed : BackgroundCommandStatus.Exited, result.ExitCode, command.StartedAt, result.EndedAt);
    }

    private static TimeSpan ValidateTimeout(int? seconds, ExecService exec)
    {
        var max = exec.MaxTimeoutSeconds;
        var value = seconds ?? exec.DefaultTimeoutSeconds;
        if (value < 1 || value > max)
        {
            throw SidecarException.BadRequest($"'timeoutSeconds' must be between 1 and {max} (is {value}).");
        }

        return TimeSpan.FromSeconds(value);
    }
}
