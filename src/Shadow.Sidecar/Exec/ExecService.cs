using System.Collections.Concurrent;
using System.ComponentModel;
using System.Security.Cryptography;
using Shadow.Sidecar.Contracts.Exec;
using Shadow.Sidecar.Hosting;
using Shadow.Sidecar.Sandbox;
using Shadow.Sidecar.Security;
using Shadow.Sidecar.Terminal;

namespace Shadow.Sidecar.Exec;

/// <summary>
/// Starts commands (foreground, streamed, background) with a clean environment and cwd inside the workspace, keeps the
/// list of background commands, and ends every running command's process group when the sidecar stops. A command with
/// the default environment runs in a warm shell when one is ready (<see cref="WarmShellPool"/>), otherwise in a bash
/// spawned for it; either way in its own session (<see cref="NativeSpawn"/>) and inside the <see cref="CommandSandbox"/>.
/// </summary>
internal sealed partial class ExecService : IHostedService
{
    private const int MaxEnvVariables = 256;
    private const int MaxCommandLength = 1024 * 1024;

    private readonly ExecOptions _options;
    private readonly PathGuard _guard;
    private readonly TerminalBuffer _terminal;
    private readonly TimeProvider _time;
    private readonly ILogger<ExecService> _logger;
    private readonly ChildReaper _reaper;
    private readonly ShellLauncher _launcher;
    private readonly WarmShellPool? _pool;
    private readonly ConcurrentDictionary<string, RunningCommand> _running = new(StringComparer.Ordinal);
    private readonly Lock _backgroundLock = new();
    private readonly List<RunningCommand> _background = [];
    private readonly GroupRegistry _groups;
    private readonly CommandSandbox _sandbox;
    private readonly long _maxOutputBytes;
    private volatile bool _stopping;

    public ExecService(SidecarOptions options, PathGuard guard, TerminalBuffer terminal, TimeProvider time, IHostApplicationLifetime lifetime,
        ILogger<ExecService> logger)
    {
        _options = options.Exec;
        _guard = guard;
        _terminal = terminal;
        _time = time;
        _logger = logger;
        _groups = new GroupRegistry(options.ResolvedStateDir, logger);
        _groups.ReapLeftovers();
        _reaper = new ChildReaper(time, logger);
        _sandbox = new CommandSandbox(options.Sandbox, guard.Root, options.ResolvedStateDir, _reaper, _groups, time, logger);
        _maxOutputBytes = options.Sandbox.MaxOutputBytes;
        // Inside a sandbox only the system's bash exists.
        var bash = _sandbox.Kind == SandboxKind.None ? ProcessGroups.FindBash() : "/bin/bash";
        _launcher = new ShellLauncher(bash, CleanEnvironment(options, _sandbox), guard.Root, _reaper, _groups, _sandbox);
        if (_options.WarmShells > 0)
        {
            _pool = new WarmShellPool(_options.WarmShells, _launcher, _groups, time, logger);
        }

        // First thing on shutdown, before Kestrel drains requests: end every command so waiting requests can answer.
        lifetime.ApplicationStopping.Register(() => _ = KillAllAsync());
    }

    public TimeSpan KillGrace => TimeSpan.FromMilliseconds(_options.KillGraceMilliseconds);

    public int DefaultTimeoutSeconds => _options.DefaultTimeoutSeconds;

    public int MaxTimeoutSeconds => _options.MaxTimeoutSeconds;

    /// <summary>The sandbox commands run in.</summary>
    public CommandSandbox Sandbox => _sandbox;

    /// <summary>Validates and starts a foreground or streamed command.</summary>
    public RunningCommand Start(string command, string? cwd, IReadOnlyDictionary<string, string>? env, CommandKind kind, TimeSpan timeout) =>
        StartCore(command, cwd, env, kind, timeout, kind == CommandKind.Foreground ? _options.MaxOutputBytes : null);

    /// <summary>Validates and starts a background command, unless too many already run (409).</summary>
    public RunningCommand StartBackground(string command, string? cwd, IReadOnlyDictionary<string, string>? env)
    {
        lock (_backgroundLock)
        {
            var running = _background.Count(c => !c.Completion.IsCompleted);
            if (running >= _options.MaxBackgroundCommands)
            {
                throw SidecarException.Conflict(
                    $"{running} background commands are running, the most allowed (Sidecar:Exec:MaxBackgroundCommands = {_options.MaxBackgroundCommands}); kill one first.");
            }

            var started = StartCore(command, cwd, env, CommandKind.Background, timeout: null, captureBytes: null);
            _background.Add(started);
            PruneFinished();
            return started;
        }
    }

    public IReadOnlyList<RunningCommand> ListBackground()
    {
        lock (_backgroundLock)
        {
            return [.. _background];
        }
    }

    public RunningCommand FindBackground(string id)
    {
        lock (_backgroundLock)
        {
            return _background.Find(c => string.Equals(c.Id, id, StringComparison.Ordinal))
                ?? throw SidecarException.NotFound($"No background command has id '{id}' (it may have been pruned after finishing).");
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_sandbox.Kind == SandboxKind.None)
        {
            LogWarningNoSandbox();
        }
        else
        {
            _sandbox.Start();
            LogInformationSandbox(_sandbox.Summary);
            if (_sandbox.ProcessLimitMechanism.StartsWith("none", StringComparison.Ordinal))
            {
                LogWarningNoProcessLimit();
            }
        }

        _pool?.Fill();
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await KillAllAsync().WaitAsync(KillGrace + TimeSpan.FromSeconds(5), _time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            LogWarningShutdownSlow(_running.Count);
        }
        finally
        {
            _pool?.Dispose();
            _sandbox.Dispose();
        }
    }

    private Task KillAllAsync()
    {
        _stopping = true;
        _pool?.Dispose();
        var all = _running.Values.ToArray();
        if (all.Length > 0)
        {
            LogInformationShutdownKill(all.Length);
        }

        return Task.WhenAll(all.Select(c => c.KillAsync()));
    }

    private RunningCommand StartCore(string command, string? cwd, IReadOnlyDictionary<string, string>? env, CommandKind kind, TimeSpan? timeout,
        int? captureBytes)
    {
        if (string.IsNullOrWhiteSpace(command))
        {
            throw SidecarException.BadRequest("'command' must not be empty.");
        }

        if (command.Length > MaxCommandLength)
        {
            throw SidecarException.BadRequest($"'command' is {command.Length} characters long; the limit is {MaxCommandLength}.");
        }

        if (command.Contains('\0', StringComparison.Ordinal))
        {
            throw SidecarException.BadRequest("'command' contains a NUL byte.");
        }

        var directory = _guard.Resolve(cwd, allowRoot: true, parameterName: "cwd");
        if (!Directory.Exists(directory))
        {
            throw SidecarException.BadRequest(File.Exists(directory)
                ? $"'cwd' ('{cwd}') is a file, not a directory."
                : $"'cwd' ('{cwd}') does not exist.");
        }

        ValidateEnvironment(env);
        if (_stopping)
        {
            throw SidecarException.Conflict("The sidecar is shutting down; no new commands start.");
        }

        var id = NewId();
        ShellProcess shell;
        try
        {
            // A warm shell has the default environment only; anything else is spawned for the command.
            shell = (env is not { Count: > 0 } && _pool is not null && ShellLauncher.WarmRequest(directory, command) is { } request
                    ? _pool.TryTake(request)
                    : null)
                ?? _launcher.StartCommand(command, directory, env);
        }
        catch (Exception e) when (e is Win32Exception or InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            throw SidecarException.Unprocessable($"The command could not be started: {e.Message}");
        }

        var running = RunningCommand.Start(id, command, _guard.ToRelative(directory), kind, shell, _terminal, _time, _logger, KillGrace, timeout,
            captureBytes, _maxOutputBytes);
        _running[id] = running;
        _ = running.Completion.ContinueWith(_ =>
        {
            _running.TryRemove(id, out var _);
            _groups.Remove(running.Pid);
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

        // Shutdown began while this one was starting: KillAllAsync may have missed it, so it ends itself.
        if (_stopping)
        {
            _ = running.KillAsync();
        }

        return running;
    }

    private static void ValidateEnvironment(IReadOnlyDictionary<string, string>? env)
    {
        if (env is null)
        {
            return;
        }

        if (env.Count > MaxEnvVariables)
        {
            throw SidecarException.BadRequest($"'env' has {env.Count} variables; the limit is {MaxEnvVariables}.");
        }

        foreach (var (name, value) in env)
        {
            if (!IsValidName(name))
            {
                throw SidecarException.BadRequest($"'env' name '{name}' is not a valid variable name ([A-Za-z_][A-Za-z0-9_]*).");
            }

            if (IsReserved(name))
            {
                throw SidecarException.BadRequest($"'env' name '{name}' is reserved for the sidecar.");
            }

            if (value is null || value.Contains('\0', StringComparison.Ordinal))
            {
                throw SidecarException.BadRequest($"'env' value of '{name}' must be a string without NUL bytes.");
            }
        }
    }

    private static bool IsValidName(string name)
    {
        if (name.Length is 0 or > 256 || !(char.IsAsciiLetter(name[0]) || name[0] == '_'))
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                return false;
            }
        }

        return true;
    }

    // The sidecar's own settings (its token, its listening URLs) never reach a command.
    private static bool IsReserved(string name) =>
        name.StartsWith("SHADOW_SIDECAR_", StringComparison.Ordinal)
        || name.StartsWith("ASPNETCORE_", StringComparison.Ordinal)
        || string.Equals(name, SidecarOptions.TokenVariable, StringComparison.Ordinal);

    // Built from nothing (PATH, HOME, LANG, TERM, SHADOW_WORKSPACE): no token, key or host variable reaches a command.
    private static KeyValuePair<string, string>[] CleanEnvironment(SidecarOptions options, CommandSandbox sandbox) =>
        [.. sandbox.BaseEnvironment(sandbox.Kind == SandboxKind.None ? ResolveHome(options, Environment.GetEnvironmentVariable("HOME")) : CommandSandbox.SandboxHome)];

    private static string ResolveHome(SidecarOptions options, string? inherited)
    {
        if (options.Exec.Home is { Length: > 0 } configured)
        {
            Directory.CreateDirectory(configured);
            return Path.GetFullPath(configured);
        }

        if (inherited is { Length: > 0 } && Directory.Exists(inherited))
        {
            return inherited;
        }

        // Outside the workspace, so tools' caches do not show up as changes.
        var home = Path.Combine(options.ResolvedStateDir, "home");
        Directory.CreateDirectory(home);
        return home;
    }

    private void PruneFinished()
    {
        var finished = _background.Count(c => c.Completion.IsCompleted);
        for (var i = 0; i < _background.Count && finished > _options.MaxFinishedBackgroundCommands; i++)
        {
            if (_background[i].Completion.IsCompleted)
            {
                _background.RemoveAt(i--);
                finished--;
            }
        }
    }

    private static string NewId() => "cmd_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));

    [LoggerMessage(Level = LogLevel.Warning, Message = "SANDBOX OFF (Sidecar:Sandbox:Kind=None): commands run unconfined on the host as the sidecar's user and can read and write everything it can. Development only.")]
    private partial void LogWarningNoSandbox();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sidecar:Sandbox:MaxProcesses is not enforced: the sidecar runs as root (RLIMIT_NPROC does not bind root) and no writable cgroup v1 pids hierarchy was found")]
    private partial void LogWarningNoProcessLimit();

    [LoggerMessage(Level = LogLevel.Information, Message = "Commands run sandboxed: {Summary}")]
    private partial void LogInformationSandbox(string summary);

    [LoggerMessage(Level = LogLevel.Information, Message = "Shutting down: ending {Count} running commands")]
    private partial void LogInformationShutdownKill(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Shutting down: {Count} commands did not end in time")]
    private partial void LogWarningShutdownSlow(int count);
}
