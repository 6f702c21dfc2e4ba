using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Shadow.Grains.Abstractions.Errors;
using Shadow.Grains.Hosting;

namespace Shadow.Grains.Runtime.Local;

/// <summary>
/// Runs each workspace's sidecar as a child process of the host, on 127.0.0.1 with an ephemeral port and a per-workspace
/// token (passed only in the child's environment). The workspace is <c>&lt;DataDir&gt;/workspaces/&lt;instanceId&gt;</c>, the
/// sidecar's own state <c>&lt;DataDir&gt;/sidecar-state/&lt;instanceId&gt;</c>. A warm pool of sidecars started ahead on fresh
/// empty folders serves new workspaces without a process start. No sidecar outlives the host: each is started with
/// <c>--parent-pid</c>, <see cref="StopAsync"/>/<see cref="DisposeAsync"/> end every child, and <see cref="StartAsync"/>
/// ends the ones a crashed host left behind (recorded under <c>&lt;DataDir&gt;/runtime/</c>).
/// </summary>
public sealed partial class LocalProcessRuntime : IWorkspaceRuntime, IHostedService, IAsyncDisposable
{
    /// <summary>The value of <see cref="Kind"/> and of <c>Shadow:Runtime:Kind</c> that selects this runtime.</summary>
    public const string RuntimeKind = "Local";

    private const string IdAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
    private const int IdLength = 12;
    private static readonly TimeSpan MaxRefillBackoff = TimeSpan.FromMinutes(1);

    private readonly LocalRuntimeOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<LocalProcessRuntime> _logger;
    private readonly string _workspacesDirectory;
    private readonly string _stateDirectory;
    private readonly RuntimeRecords _records;
    private readonly Lazy<string> _sidecarPath;
    private readonly ConcurrentDictionary<string, SidecarChild> _instances = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _instanceGates = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<SidecarChild, byte> _running = new();
    private readonly List<SidecarChild> _warm = [];
    private readonly Channel<bool> _refill = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _lifecycle = new();
    private TaskCompletionSource _warmChanged = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _startTask;
    private Task? _stopTask;
    private Task _refillLoop = Task.CompletedTask;

    /// <summary>Creates the runtime; nothing starts until <see cref="StartAsync"/> or the first <see cref="ProvisionAsync"/>.</summary>
    public LocalProcessRuntime(IOptions<LocalRuntimeOptions> options, IOptions<ShadowOptions> shadowOptions, TimeProvider timeProvider,
        ILogger<LocalProcessRuntime> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(shadowOptions);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        _options = options.Value;
        _time = timeProvider;
        _logger = logger;
        DataDirectory = shadowOptions.Value.DataDirFullPath;
        _workspacesDirectory = Path.Combine(DataDirectory, "workspaces");
        _stateDirectory = Path.Combine(DataDirectory, "sidecar-state");
        _records = new RuntimeRecords(DataDirectory);
        _sidecarPath = new Lazy<string>(() => SidecarLocator.Locate(_options.SidecarPath, AppContext.BaseDirectory));
        Sandbox = _options.ResolvedSandbox;
    }

    /// <inheritdoc />
    public string Kind => RuntimeKind;

    /// <summary>The full path of <c>Shadow:DataDir</c>.</summary>
    internal string DataDirectory { get; }

    /// <summary>What confines workspace commands: Bubblewrap, GVisor or None (<see cref="LocalRuntimeOptions.ResolvedSandbox"/>).</summary>
    public string Sandbox { get; }

    /// <summary>The sidecar program this runtime starts.</summary>
    internal string SidecarPath => _sidecarPath.Value;

    internal int WarmCount
    {
        get
        {
            lock (_warm)
            {
                return _warm.Count;
            }
        }
    }

    internal IReadOnlyList<(string InstanceId, int ProcessId)> WarmInstances
    {
        get
        {
            lock (_warm)
            {
                return [.. _warm.Select(c => (c.InstanceId, c.ProcessId))];
            }
        }
    }

    internal string WorkspacePath(string instanceId) => Path.Combine(_workspacesDirectory, instanceId);

    internal string StatePath(string instanceId) => Path.Combine(_stateDirectory, instanceId);

    /// <summary>The pid of an instance's current sidecar, or null.</summary>
    internal int? ProcessIdOf(string instanceId) => _instances.TryGetValue(instanceId, out var child) ? child.ProcessId : null;

    /// <summary>Completes once the warm pool holds exactly <paramref name="count"/> sidecars.</summary>
    internal async Task WaitForWarmCountAsync(int count, CancellationToken cancellationToken)
    {
        while (true)
        {
            var changed = Volatile.Read(ref _warmChanged).Task;
            if (WarmCount == count)
            {
                return;
            }

            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Ends the sidecars a crashed host left running, deletes the folders of warm-pool instances it never handed out, then
    /// fills the warm pool in the background. Runs once; later calls answer the first one's task.
    /// </summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lock (_lifecycle)
        {
            return _startTask ??= StartCoreAsync(cancellationToken);
        }
    }

    /// <summary>Ends every sidecar this runtime started (SIGTERM, then SIGKILL after the grace period). Runs once.</summary>
    public Task StopAsync(CancellationToken cancellationToken)
    {
        lock (_lifecycle)
        {
            return _stopTask ??= StopCoreAsync(cancellationToken);
        }
    }

    /// <summary>Same as <see cref="StopAsync"/>, without a deadline beyond the grace period.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        _stopping.Dispose();
    }

    /// <inheritdoc />
    public async Task<WorkspaceHandle> ProvisionAsync(WorkspaceProvisionRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ObjectDisposedException.ThrowIf(_stopping.IsCancellationRequested, this);
        var stopwatch = Stopwatch.StartNew();
        if (request.PreviousInstanceId is { } previous)
        {
            if (!IsInstanceId(previous))
            {
                LogWarningForeignInstanceId(request.TaskId);
            }
            else if (Directory.Exists(WorkspacePath(previous))
                && await TryReattachAsync(request.TaskId, previous, cancellationToken).ConfigureAwait(false) is { } reattached)
            {
                LogInformationProvisioned(request.TaskId, previous, "re-attached", stopwatch.Elapsed.TotalMilliseconds);
                return reattached;
            }
        }

        if (TryClaimWarm() is { } warm)
        {
            LogInformationProvisioned(request.TaskId, warm.InstanceId, "warm", stopwatch.Elapsed.TotalMilliseconds);
            return Handle(warm, reattached: false);
        }

        var instanceId = NewInstanceId();
        SidecarChild child;
        try
        {
            child = await StartChildAsync(instanceId, cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidOperationException e)
        {
            DeleteFolders(instanceId);
            throw new WorkspaceUnavailableException(request.TaskId, e.Message);
        }
        catch
        {
            DeleteFolders(instanceId);
            throw;
        }

        _instances[instanceId] = child;
        LogInformationProvisioned(request.TaskId, instanceId, "cold", stopwatch.Elapsed.TotalMilliseconds);
        return Handle(child, reattached: false);
    }

    /// <inheritdoc />
    public async Task<WorkspaceRuntimeStatus> GetStatusAsync(WorkspaceHandle handle, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(handle);
        if (!IsInstanceId(handle.InstanceId) || !_instances.TryGetValue(handle.InstanceId, out var child))
        {
            return new WorkspaceRuntimeStatus(WorkspaceRuntimeState.NotFound);
        }

        if (!child.HasExited)
        {
            return new WorkspaceRuntimeStatus(WorkspaceRuntimeState.Running);
        }

        // Let the reader catch the last lines it wrote before it died.
        await child.WaitForExitAsync(TimeSpan.FromMilliseconds(500), _time).ConfigureAwait(false);
        return new WorkspaceRuntimeStatus(WorkspaceRuntimeState.Exited, child.ExitDetail());
    }

    /// <inheritdoc />
    public async Task DeleteAsync(WorkspaceHandle handle, bool deleteStorage, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(handle);
        var instanceId = handle.InstanceId;
        if (!IsInstanceId(instanceId))
        {
            return;
        }

        var gate = GateOf(instanceId);
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_instances.TryRemove(instanceId, out var child))
            {
                await child.StopAsync(_options.StopGracePeriod, _time, cancellationToken).ConfigureAwait(false);
                Forget(child);
                child.Dispose();
            }

            if (deleteStorage)
            {
                DeleteFolders(instanceId);
            }

            LogInformationDeleted(instanceId, deleteStorage);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Ids are short random URL-safe strings; anything else (another runtime's id, a path) never touches the disk.</summary>
    internal static bool IsInstanceId(string? value) =>
        value is { Length: IdLength } && value.AsSpan().IndexOfAnyExcept(IdAlphabet) < 0;

    internal static string NewInstanceId() => RandomNumberGenerator.GetString(IdAlphabet, IdLength);

    private static WorkspaceHandle Handle(SidecarChild child, bool reattached) =>
        new(child.InstanceId, child.BaseAddress!, child.Token, reattached);

    private SemaphoreSlim GateOf(string instanceId) => _instanceGates.GetOrAdd(instanceId, static _ => new SemaphoreSlim(1, 1));

    private async Task<WorkspaceHandle?> TryReattachAsync(string taskId, string instanceId, CancellationToken cancellationToken)
    {
        var gate = GateOf(instanceId);
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_instances.TryGetValue(instanceId, out var existing))
            {
                // Still running: provisioning the same instance again answers it (idempotent per instance id).
                if (!existing.HasExited)
                {
                    return Handle(existing, reattached: true);
                }

                _instances.TryRemove(new KeyValuePair<string, SidecarChild>(instanceId, existing));
                Forget(existing);
                existing.Dispose();
            }

            // Deleted while we waited for the gate: a new workspace it is.
            if (!Directory.Exists(WorkspacePath(instanceId)))
            {
                return null;
            }

            SidecarChild child;
            try
            {
                child = await StartChildAsync(instanceId, cancellationToken).ConfigureAwait(false);
            }
            catch (InvalidOperationException e)
            {
                throw new WorkspaceUnavailableException(taskId, e.Message);
            }

            _instances[instanceId] = child;
            return Handle(child, reattached: true);
        }
        finally
        {
            gate.Release();
        }
    }

    private SidecarChild? TryClaimWarm()
    {
        SidecarChild? claimed = null;
        List<SidecarChild> dead = [];
        lock (_warm)
        {
            while (claimed is null && _warm.Count > 0)
            {
                var candidate = _warm[0];
                _warm.RemoveAt(0);
                if (candidate.HasExited)
                {
                    dead.Add(candidate);
                }
                else
                {
                    claimed = candidate;
                }
            }
        }

        foreach (var child in dead)
        {
            DiscardWarm(child);
        }

        if (claimed is null && dead.Count == 0)
        {
            return null;
        }

        if (claimed is not null)
        {
            _records.UnmarkWarm(claimed.InstanceId);
            _instances[claimed.InstanceId] = claimed;
        }

        SignalWarmChanged();
        RequestRefill();
        return claimed;
    }

    /// <summary>Creates the folders and starts a sidecar on them; answers once it listens, else kills it and throws.</summary>
    private async Task<SidecarChild> StartChildAsync(string instanceId, CancellationToken cancellationToken)
    {
        var workspace = Directory.CreateDirectory(WorkspacePath(instanceId)).FullName;
        var stateDir = Directory.CreateDirectory(StatePath(instanceId)).FullName;
        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        string sidecarPath;
        try
        {
            sidecarPath = SidecarPath;
        }
        catch (FileNotFoundException e)
        {
            throw new InvalidOperationException(e.Message, e);
        }

        var child = SidecarChild.Start(sidecarPath, instanceId, workspace, stateDir, token, Sandbox, _options.SandboxNetwork, OnExited);
        _running[child] = 0;
        if (child.StartTime is { } startTime)
        {
            child.RecordPath = _records.AddChild(child.ProcessId, startTime, instanceId);
        }

        if (child.HasExited)
        {
            Forget(child);
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping.Token);
        try
        {
            await child.WaitUntilListeningAsync(_options.StartTimeout, _time, linked.Token).ConfigureAwait(false);
            return child;
        }
        catch (Exception e)
        {
            await child.StopAsync(TimeSpan.Zero, _time, CancellationToken.None).ConfigureAwait(false);
            Forget(child);
            var output = child.LastOutput;
            child.Dispose();
            if (e is OperationCanceledException)
            {
                ObjectDisposedException.ThrowIf(_stopping.IsCancellationRequested, this);
                throw;
            }

            var why = e is TimeoutException
                ? $"did not report listening within {LocalRuntimeOptions.SectionName}:StartTimeout ({_options.StartTimeout.TotalSeconds:0.#} s)"
                : "exited before it listened";
            throw new InvalidOperationException(
                $"The sidecar for instance {instanceId} ({sidecarPath}) {why}. Last output:\n{(output.Length > 0 ? output : "(none)")}", e);
        }
    }

    private void OnExited(SidecarChild child)
    {
        Forget(child);
        bool wasWarm;
        lock (_warm)
        {
            wasWarm = _warm.Remove(child);
        }

        if (wasWarm)
        {
            LogWarningWarmExited(child.InstanceId);
            DiscardWarm(child);
            SignalWarmChanged();
            RequestRefill();
        }
        else if (!_stopping.IsCancellationRequested && _instances.TryGetValue(child.InstanceId, out var current) && current == child)
        {
            LogWarningInstanceExited(child.InstanceId, child.ProcessId);
        }
    }

    /// <summary>Drops a child from the set to stop at shutdown and removes its record.</summary>
    private void Forget(SidecarChild child)
    {
        _running.TryRemove(child, out _);
        RuntimeRecords.Delete(child.RecordPath);
    }

    private void DiscardWarm(SidecarChild child)
    {
        DeleteFolders(child.InstanceId);
        _records.UnmarkWarm(child.InstanceId);
    }

    private void SignalWarmChanged() =>
        Interlocked.Exchange(ref _warmChanged, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    private void RequestRefill() => _refill.Writer.TryWrite(true);

    private async Task StartCoreAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_stopping.IsCancellationRequested, this);
        if (Sandbox == "None")
        {
            LogWarningNoSandbox();
        }

        Directory.CreateDirectory(DataDirectory);
        await EndLeftoversAsync(cancellationToken).ConfigureAwait(false);
        foreach (var instanceId in _records.ReadWarm())
        {
            if (IsInstanceId(instanceId))
            {
                DeleteFolders(instanceId);
            }

            _records.UnmarkWarm(instanceId);
        }

        if (_options.WarmPoolSize > 0)
        {
            LogInformationWarmPool(_options.WarmPoolSize, SidecarPath);
            _refillLoop = Task.Run(() => RefillLoopAsync(_stopping.Token), CancellationToken.None);
            RequestRefill();
        }
    }

    /// <summary>Ends the recorded children of a previous run that still run (same pid and start time): SIGTERM, then SIGKILL.</summary>
    private async Task EndLeftoversAsync(CancellationToken cancellationToken)
    {
        List<(int Pid, string StartTime)> signalled = [];
        // Children this runtime started already (a provision that came before the start) are not leftovers.
        var ours = _running.Keys.Select(c => c.ProcessId).ToHashSet();
        foreach (var (pid, startTime, path) in _records.ReadChildren())
        {
            if (ours.Contains(pid))
            {
                continue;
            }

            if (pid > 1 && UnixProcess.IsRunning(pid, startTime))
            {
                LogWarningLeftover(pid);
                UnixProcess.Signal(pid, UnixProcess.SigTerm);
                signalled.Add((pid, startTime));
            }

            RuntimeRecords.Delete(path);
        }

        var deadline = _time.GetTimestamp();
        while (signalled.Exists(p => UnixProcess.IsRunning(p.Pid, p.StartTime)) && _time.GetElapsedTime(deadline) < _options.StopGracePeriod)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(50), _time, cancellationToken).ConfigureAwait(false);
        }

        foreach (var (pid, startTime) in signalled)
        {
            if (UnixProcess.IsRunning(pid, startTime))
            {
                UnixProcess.Signal(pid, UnixProcess.SigKill);
            }
        }
    }

    private async Task RefillLoopAsync(CancellationToken stopping)
    {
        var failures = 0;
        try
        {
            var first = true;
            await foreach (var _ in _refill.Reader.ReadAllAsync(stopping).ConfigureAwait(false))
            {
                // After a claim, leave the CPU to the claimed workspace's clone for a moment before spawning its replacement.
                if (!first && _options.RefillDelay > TimeSpan.Zero)
                {
                    await Task.Delay(_options.RefillDelay, _time, stopping).ConfigureAwait(false);
                }

                first = false;
                while (!stopping.IsCancellationRequested && WarmCount < _options.WarmPoolSize)
                {
                    try
                    {
                        await AddWarmAsync(stopping).ConfigureAwait(false);
                        failures = 0;
                    }
                    catch (Exception e) when (e is not OperationCanceledException && !stopping.IsCancellationRequested)
                    {
                        failures++;
                        var backoff = TimeSpan.FromSeconds(Math.Min(MaxRefillBackoff.TotalSeconds, Math.Pow(2, failures - 1)));
                        LogWarningWarmStartFailed(e, backoff.TotalSeconds);
                        await Task.Delay(backoff, _time, stopping).ConfigureAwait(false);
                    }
                }
            }
        }
        catch (Exception e) when ((e is OperationCanceledException or ObjectDisposedException) && stopping.IsCancellationRequested)
        {
            // Host stopping.
        }
    }

    private async Task AddWarmAsync(CancellationToken stopping)
    {
        var instanceId = NewInstanceId();
        // Marked before the folders exist, so a crash at any point leaves them to be deleted on the next start.
        _records.MarkWarm(instanceId);
        SidecarChild child;
        try
        {
            child = await StartChildAsync(instanceId, stopping).ConfigureAwait(false);
        }
        catch
        {
            DeleteFolders(instanceId);
            _records.UnmarkWarm(instanceId);
            throw;
        }

        lock (_warm)
        {
            _warm.Add(child);
        }

        // It may have died before it was in the list (then OnExited did not count it as warm).
        if (child.HasExited)
        {
            bool removed;
            lock (_warm)
            {
                removed = _warm.Remove(child);
            }

            if (removed)
            {
                DiscardWarm(child);
            }

            return;
        }

        SignalWarmChanged();
    }

    private async Task StopCoreAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _refill.Writer.TryComplete();
        try
        {
            await _refillLoop.ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
        {
            // Stopped mid-start; that child is killed by its own start path.
        }

        var children = _running.Keys.ToArray();
        if (children.Length > 0)
        {
            LogInformationStopping(children.Length);
        }

        await Task.WhenAll(children.Select(c => c.StopAsync(_options.StopGracePeriod, _time, cancellationToken))).ConfigureAwait(false);
        List<SidecarChild> warm;
        lock (_warm)
        {
            warm = [.. _warm];
            _warm.Clear();
        }

        foreach (var child in warm)
        {
            DiscardWarm(child);
        }

        foreach (var child in children)
        {
            Forget(child);
            child.Dispose();
        }
    }

    private void DeleteFolders(string instanceId)
    {
        foreach (var path in new[] { WorkspacePath(instanceId), StatePath(instanceId) })
        {
            try
            {
                DeleteTree(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                LogWarningDeleteFailed(e, path);
            }
        }
    }

    private static void DeleteTree(string path)
    {
        if (!Directory.Exists(path))
        {
            return;
        }

        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (UnauthorizedAccessException) when (!OperatingSystem.IsWindows())
        {
            // A command may have made folders read-only: give them back to their owner, then try once more.
            foreach (var dir in Directory.EnumerateDirectories(path, "*", SearchOption.AllDirectories).Prepend(path))
            {
                File.SetUnixFileMode(dir, File.GetUnixFileMode(dir) | UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }

            Directory.Delete(path, recursive: true);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Workspace {InstanceId} for task {TaskId} provisioned ({Source}) in {ElapsedMilliseconds:0.0} ms")]
    private partial void LogInformationProvisioned(string taskId, string instanceId, string source, double elapsedMilliseconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Workspace {InstanceId} deleted (storage removed: {StorageDeleted})")]
    private partial void LogInformationDeleted(string instanceId, bool storageDeleted);

    [LoggerMessage(Level = LogLevel.Information, Message = "Keeping {WarmPoolSize} warm sidecars started from {SidecarPath}")]
    private partial void LogInformationWarmPool(int warmPoolSize, string sidecarPath);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopping {Count} sidecars")]
    private partial void LogInformationStopping(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Task {TaskId} names a previous instance id this runtime never hands out; provisioning a new workspace")]
    private partial void LogWarningForeignInstanceId(string taskId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The sidecar of workspace {InstanceId} (pid {ProcessId}) exited")]
    private partial void LogWarningInstanceExited(string instanceId, int processId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Warm sidecar {InstanceId} exited before it was used; discarded")]
    private partial void LogWarningWarmExited(string instanceId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Starting a warm sidecar failed; retrying in {BackoffSeconds} s")]
    private partial void LogWarningWarmStartFailed(Exception exception, double backoffSeconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sidecar process {ProcessId} was left running by a previous host that did not stop cleanly; ending it")]
    private partial void LogWarningLeftover(int processId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "SANDBOX OFF (Shadow:Runtime:Local:Sandbox=None): agent commands run unconfined on this host and can read every workspace, the data folder and the host's files. Development only; install bubblewrap and use Bubblewrap.")]
    private partial void LogWarningNoSandbox();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot delete {Path}")]
    private partial void LogWarningDeleteFailed(Exception exception, string path);
}
