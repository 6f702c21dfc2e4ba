using System.Globalization;
using System.Text;
using Microsoft.Win32.SafeHandles;
using Shadow.Sidecar.Contracts.Terminal;
using Shadow.Sidecar.Terminal;

namespace Shadow.Sidecar.Exec;

/// <summary>How a command is being run.</summary>
internal enum CommandKind
{
    Foreground,
    Stream,
    Background,
}

/// <summary>How a command ended.</summary>
/// <param name="ExitCode">Its exit code (128 + signal when a signal ended it).</param>
/// <param name="DurationMs">Milliseconds from start to exit.</param>
/// <param name="TimedOut">Ended by its timeout.</param>
/// <param name="Killed">Ended by a kill request (route, client gone, shutdown).</param>
/// <param name="EndedAt">When it ended.</param>
/// <param name="LimitExceeded">The sandbox limit it ran into (<c>output</c>, <c>processes</c>, <c>cpu</c>), or null.</param>
internal sealed record CommandResult(int ExitCode, long DurationMs, bool TimedOut, bool Killed, DateTimeOffset EndedAt, string? LimitExceeded = null);

/// <summary>
/// One command: a bash in its own session and process group (<c>bash -c &lt;command&gt;</c>, or a warm shell that was sent
/// the command), stdin on /dev/null, stdout and stderr read by two
/// dedicated threads (blocking pipe reads must not sit on thread-pool threads) in chunks of up to 32 KiB straight into
/// the terminal buffer (and, for a foreground command, into a capped capture). A timeout or kill sends SIGTERM to the
/// whole group, then SIGKILL after the grace; when bash exits, whatever it left running in its group is ended the same way.
/// </summary>
internal sealed partial class RunningCommand
{
    private const int ChunkBytes = 32 * 1024;
    private const int SigXcpu = 24;
    private static readonly Encoding Utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    [ThreadStatic]
    private static byte[]? t_bytes;
    [ThreadStatic]
    private static char[]? t_chars;

    private readonly ShellProcess _shell;
    private readonly TerminalBuffer _terminal;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly TimeSpan _grace;
    private readonly OutputCapture? _capture;
    private readonly TaskCompletionSource<CommandResult> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly long _startTimestamp;
    private readonly long _maxOutputBytes;
    private long _outputBytes;
    private int _outputExceeded;
    private int _killRequested;
    private Task? _killing;

    private RunningCommand(string id, string command, string cwd, CommandKind kind, ShellProcess shell, TerminalBuffer terminal, TimeProvider time,
        ILogger logger, TimeSpan grace, int? captureBytes, long maxOutputBytes)
    {
        _maxOutputBytes = maxOutputBytes;
        Id = id;
        Command = command;
        Cwd = cwd;
        Kind = kind;
        _shell = shell;
        Pid = shell.Pid;
        _terminal = terminal;
        _time = time;
        _logger = logger;
        _grace = grace;
        _capture = captureBytes is { } cap ? new OutputCapture(cap) : null;
        _startTimestamp = time.GetTimestamp();
        StartedAt = time.GetUtcNow();
    }

    public string Id { get; }

    public string Command { get; }

    /// <summary>Working folder relative to the workspace root ("" for the root).</summary>
    public string Cwd { get; }

    public CommandKind Kind { get; }

    public int Pid { get; }

    public DateTimeOffset StartedAt { get; }

    /// <summary>Seq of the "started" system entry; all of its output comes after.</summary>
    public long StartSeq { get; private set; }

    /// <summary>Seq of the "exited" system entry (set just before <see cref="Completion"/> completes).</summary>
    public long EndSeq { get; private set; } = long.MaxValue;

    public Task<CommandResult> Completion => _done.Task;

    public OutputCapture? Capture => _capture;

    public bool KillRequested => Volatile.Read(ref _killRequested) != 0;

    /// <summary>Follows a started shell: its readers, its timeout, its end.</summary>
    public static RunningCommand Start(string id, string command, string cwdRelative, CommandKind kind, ShellProcess shell,
        TerminalBuffer terminal, TimeProvider time, ILogger logger, TimeSpan grace, TimeSpan? timeout, int? captureBytes, long maxOutputBytes)
    {
        var running = new RunningCommand(id, command, cwdRelative, kind, shell, terminal, time, logger, grace, captureBytes, maxOutputBytes);
        running.StartSeq = terminal.Append(id, TerminalStream.System, $"$ {command}").Seq;
        LogDebugStarted(logger, id, running.Pid, kind, shell.IsWarm);
        _ = running.RunAsync(timeout);
        return running;
    }

    /// <summary>Ends the whole process group (SIGTERM, then SIGKILL after the grace); completes when the command has ended.</summary>
    public Task<CommandResult> KillAsync()
    {
        if (!Completion.IsCompleted && Interlocked.Exchange(ref _killRequested, 1) == 0)
        {
            LogInformationKilling(_logger, Id, Pid);
            Volatile.Write(ref _killing, EndGroupAsync());
        }

        return Completion;
    }

    private async Task RunAsync(TimeSpan? timeout)
    {
        var pumps = Task.WhenAll(
            StartPump(_shell.Stdout, TerminalStream.Stdout),
            StartPump(_shell.Stderr, TerminalStream.Stderr));
        var timedOut = false;
        try
        {
            using (var timer = timeout is { } t ? new CancellationTokenSource(t, _time) : null)
            {
                try
                {
                    await _shell.Exited.WaitAsync(timer?.Token ?? CancellationToken.None).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    if (!KillRequested)
                    {
                        timedOut = true;
                        LogInformationTimedOut(_logger, Id, Pid, timeout!.Value.TotalSeconds);
                        await EndGroupAsync().ConfigureAwait(false);
                    }

                }
            }

            var exitCode = await _shell.Exited.ConfigureAwait(false);
            if (Volatile.Read(ref _killing) is { } killing)
            {
                await killing.ConfigureAwait(false);
            }

            // Whatever bash left running in its group (`sleep 100 &`) goes too: a finished command leaves nothing behind.
            if (ProcessGroups.IsAlive(Pid))
            {
                await EndGroupAsync().ConfigureAwait(false);
            }

            // The pipes close once every writer is gone; a process that left the group on purpose may keep them open.
            try
            {
                await pumps.WaitAsync(TimeSpan.FromSeconds(2), _time).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                LogWarningPipesStillOpen(_logger, Id);
            }

            var limit = Volatile.Read(ref _outputExceeded) != 0 ? "output"
                : _shell.Cgroup?.LimitReached == true ? "processes"
                : exitCode == 128 + SigXcpu ? "cpu"
                : null;
            if (_shell.Cgroup is { } cgroup)
            {
                await cgroup.KillAndRemoveAsync(_time).ConfigureAwait(false);
            }

            var duration = (long)_time.GetElapsedTime(_startTimestamp).TotalMilliseconds;
            var killed = KillRequested && !timedOut;
            var how = timedOut ? ", timed out" : killed ? ", killed" : string.Empty;
            var why = limit is null ? string.Empty : ", " + LimitNote(limit);
            EndSeq = _terminal.Append(Id, TerminalStream.System,
                string.Create(CultureInfo.InvariantCulture, $"[exit {exitCode} after {duration} ms{how}{why}]")).Seq;
            LogDebugExited(_logger, Id, exitCode, duration);
            _done.TrySetResult(new CommandResult(exitCode, duration, timedOut, killed, _time.GetUtcNow(), limit));
        }
        catch (Exception e)
        {
            LogErrorRunFailed(_logger, e, Id);
            EndSeq = _terminal.Append(Id, TerminalStream.System, "[the sidecar lost track of this command]").Seq;
            _done.TrySetResult(new CommandResult(-1, (long)_time.GetElapsedTime(_startTimestamp).TotalMilliseconds, timedOut, KillRequested, _time.GetUtcNow()));
        }
        finally
        {
            // Normally the pumps have closed their ends already; this covers a failure before they ran.
            if (pumps.IsCompleted)
            {
                _shell.Dispose();
            }
        }
    }

    /// <summary>What the terminal's exit note says about a limit.</summary>
    public static string LimitNote(string limit) => limit switch
    {
        "output" => "sandbox limit: output size (Sidecar:Sandbox:MaxOutputBytes) exceeded, command ended",
        "processes" => "sandbox limit: process count (Sidecar:Sandbox:MaxProcesses) reached, forks were refused",
        "cpu" => "sandbox limit: CPU time (Sidecar:Sandbox:CpuSeconds) used up",
        _ => "sandbox limit: " + limit,
    };

    private async Task EndGroupAsync()
    {
        // A sandbox's SIGTERM goes to what runs inside it; the sandbox itself ends with its command (or with the SIGKILL below).
        var signalled = _shell.Sandboxed
            ? ProcessGroups.SignalMembers(Pid, ProcessGroups.SigTerm) || ProcessGroups.IsAlive(Pid)
            : ProcessGroups.Signal(Pid, ProcessGroups.SigTerm);
        if (!signalled)
        {
            return;
        }

        if (await WaitGoneAsync(_grace).ConfigureAwait(false))
        {
            return;
        }

        LogInformationEscalating(_logger, Id, Pid);
        ProcessGroups.Signal(Pid, ProcessGroups.SigKill);
        await WaitGoneAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
    }

    private async Task<bool> WaitGoneAsync(TimeSpan within)
    {
        var start = _time.GetTimestamp();
        var delay = TimeSpan.FromMilliseconds(5);
        while (ProcessGroups.IsAlive(Pid))
        {
            if (_time.GetElapsedTime(start) >= within)
            {
                return false;
            }

            await Task.Delay(delay, _time).ConfigureAwait(false);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 50));
        }

        return true;
    }

    private Task StartPump(SafeFileHandle pipe, TerminalStream kind)
    {
        var finished = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        PumpThreads.Run(() =>
        {
            try
            {
                Pump(pipe, kind);
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                // The pipe went away under us: nothing more to read.
            }
            finally
            {
                pipe.Dispose();
                finished.TrySetResult();
            }
        }, "exec-pump");
        return finished.Task;
    }

    private void Pump(SafeFileHandle pipe, TerminalStream kind)
    {
        // Pump threads are reused (PumpThreads), and so are their buffers.
        var bytes = t_bytes ??= new byte[ChunkBytes];
        var chars = t_chars ??= new char[Utf8.GetMaxCharCount(ChunkBytes)];
        var decoder = Utf8.GetDecoder();
        int read;
        while ((read = NativeSpawn.Read(pipe, bytes)) > 0)
        {
            // Past the output limit the command is ended; whatever it still writes meanwhile is read and dropped.
            if (Interlocked.Add(ref _outputBytes, read) > _maxOutputBytes)
            {
                if (Interlocked.Exchange(ref _outputExceeded, 1) == 0)
                {
                    _ = KillAsync();
                }

                continue;
            }

            _capture?.Add(kind, bytes.AsSpan(0, read));
            var count = decoder.GetChars(bytes, 0, read, chars, 0, flush: false);
            if (count > 0)
            {
                _terminal.Append(Id, kind, new string(chars, 0, count), read);
            }
        }

        var tail = decoder.GetChars([], 0, 0, chars, 0, flush: true);
        if (tail > 0)
        {
            _terminal.Append(Id, kind, new string(chars, 0, tail), tail);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Command {CommandId} started as pid {Pid} ({Kind}, warm shell: {Warm})")]
    private static partial void LogDebugStarted(ILogger logger, string commandId, int pid, CommandKind kind, bool warm);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Command {CommandId} exited with {ExitCode} after {DurationMs} ms")]
    private static partial void LogDebugExited(ILogger logger, string commandId, int exitCode, long durationMs);

    [LoggerMessage(Level = LogLevel.Information, Message = "Command {CommandId} (pid {Pid}) timed out after {Seconds} s; ending its process group")]
    private static partial void LogInformationTimedOut(ILogger logger, string commandId, int pid, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Killing command {CommandId} (process group {Pid})")]
    private static partial void LogInformationKilling(ILogger logger, string commandId, int pid);

    [LoggerMessage(Level = LogLevel.Information, Message = "Command {CommandId}: process group {Pid} outlived SIGTERM; sending SIGKILL")]
    private static partial void LogInformationEscalating(ILogger logger, string commandId, int pid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Command {CommandId} exited but a process outside its group still holds its output pipes")]
    private static partial void LogWarningPipesStillOpen(ILogger logger, string commandId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Running command {CommandId} failed")]
    private static partial void LogErrorRunFailed(ILogger logger, Exception exception, string commandId);
}

/// <summary>The first bytes of a foreground command's stdout and stderr, up to a cap each.</summary>
internal sealed class OutputCapture(int capBytes)
{
    private readonly Part _stdout = new(capBytes);
    private readonly Part _stderr = new(capBytes);

    public bool StdoutTruncated => _stdout.Truncated;

    public bool StderrTruncated => _stderr.Truncated;

    public string Stdout => _stdout.Text();

    public string Stderr => _stderr.Text();

    public void Add(TerminalStream stream, ReadOnlySpan<byte> bytes) => (stream == TerminalStream.Stdout ? _stdout : _stderr).Add(bytes);

    // Each part is written by one pump thread and read after that thread has finished.
    private sealed class Part(int cap)
    {
        private byte[] _buffer = [];
        private int _length;

        public bool Truncated { get; private set; }

        public void Add(ReadOnlySpan<byte> bytes)
        {
            var take = Math.Min(bytes.Length, cap - _length);
            if (take < bytes.Length)
            {
                Truncated = true;
            }

            if (take <= 0)
            {
                return;
            }

            if (_buffer.Length < _length + take)
            {
                Array.Resize(ref _buffer, Math.Min(cap, Math.Max(_length + take, Math.Max(4096, _buffer.Length * 2))));
            }

            bytes[..take].CopyTo(_buffer.AsSpan(_length));
            _length += take;
        }

        public string Text()
        {
            var span = _buffer.AsSpan(0, _length);
            if (Truncated)
            {
                span = span[..Utf8Boundary(span)];
            }

            return Encoding.UTF8.GetString(span);
        }

        // Length of the longest prefix that does not end inside a multi-byte character.
        private static int Utf8Boundary(ReadOnlySpan<byte> span)
        {
            var end = span.Length;
            var back = 0;
            while (end - back - 1 >= 0 && back < 3 && (span[end - back - 1] & 0xC0) == 0x80)
            {
                back++;
            }

            var leadIndex = end - back - 1;
            if (leadIndex < 0)
            {
                return end;
            }

            var lead = span[leadIndex];
            var needed = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
            return needed > back + 1 ? leadIndex : end;
        }
    }
}
