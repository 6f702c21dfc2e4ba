using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Shadow.Grains.Hosting;
using Shadow.Grains.Runtime.Local;
using Shadow.Grains.Tasks;

namespace Shadow.Grains.Runtime.MicroVm;

/// <summary>
/// Runs each workspace in its own virtual machine (QEMU behind <see cref="IVmm"/>), the sidecar inside it reached through
/// a loopback host forward. The guest network is <c>restrict=on</c>: it reaches nothing but one narrow forward to
/// <c>git daemon --inetd</c> over a per-VM folder holding links to the workspace's own remote (clone and push go through
/// it; nothing else on the host is exported). The sidecar's token is written over the control channel (ttyS1) after
/// the VM runs, never on the kernel command line nor into the image or the saved state.
/// <para>
/// On first use the guest image is built (<see cref="GuestImageBuilder"/>), the accelerator chosen (<c>Auto</c> boots a
/// KVM guest as a probe), and one VM is booted to a waiting sidecar and its state saved; new workspaces then resume
/// from that state (well under a second under TCG) instead of booting, and a small pool of resumed VMs is kept ready.
/// </para>
/// </summary>
public sealed partial class MicroVmRuntime : IWorkspaceRuntime, IHostedService, IAsyncDisposable
{
    /// <summary>The value of <see cref="Kind"/> and of <c>Shadow:Runtime:Kind</c> that selects this runtime.</summary>
    public const string RuntimeKind = "MicroVm";

    /// <summary>The sidecar's port inside the guest.</summary>
    internal const int SidecarGuestPort = 8080;

    private const string IdAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
    private const int IdLength = 12;
    private const string SidecarWarmMarker = "shadow-init: sidecar warm";
    private const string InitReadyMarker = "shadow-init: ready";
    private const string RemoteName = "origin.git";
    private static readonly TimeSpan ResumeTimeout = TimeSpan.FromSeconds(60);

    private readonly MicroVmRuntimeOptions _options;
    private readonly IVmm _vmm;
    private readonly GuestImageBuilder _images;
    private readonly TimeProvider _time;
    private readonly ILogger<MicroVmRuntime> _logger;
    private readonly string _vmsDirectory;
    private readonly ConcurrentDictionary<string, MicroVmInstance> _instances = new(StringComparer.Ordinal);
    private readonly List<MicroVmInstance> _warm = [];
    private readonly Channel<bool> _refill = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _lifecycle = new();
    private Task<MicroVmPreparation>? _preparation;
    private Task _refillLoop = Task.CompletedTask;
    private Task? _stopTask;

    internal MicroVmRuntime(IOptions<MicroVmRuntimeOptions> options, IOptions<ShadowOptions> shadowOptions, IVmm vmm, GuestImageBuilder images,
        TimeProvider timeProvider, ILogger<MicroVmRuntime> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(shadowOptions);
        _options = options.Value;
        _vmm = vmm;
        _images = images;
        _time = timeProvider;
        _logger = logger;
        _vmsDirectory = Path.Combine(shadowOptions.Value.DataDirFullPath, "microvm", "vms");
    }

    /// <inheritdoc />
    public string Kind => RuntimeKind;

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

    /// <summary>
    /// Builds the image, chooses the accelerator and saves the VM state new workspaces resume from; once (a failure is
    /// retried by the next call). Every provision waits for it.
    /// </summary>
    public Task<MicroVmPreparation> PrepareAsync(CancellationToken cancellationToken = default)
    {
        lock (_lifecycle)
        {
            if (_preparation is null || _preparation.IsFaulted || _preparation.IsCanceled)
            {
                _preparation = Task.Run(() => PrepareCoreAsync(_stopping.Token), CancellationToken.None);
            }

            return _preparation.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Ends the VMs a crashed host left running, then prepares and fills the warm pool in the background.</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        EndLeftovers();
        if (_options.WarmPoolSize > 0)
        {
            _refillLoop = Task.Run(() => RefillLoopAsync(_stopping.Token), CancellationToken.None);
            _refill.Writer.TryWrite(true);
        }

        return Task.CompletedTask;
    }

    /// <summary>Ends every VM this runtime started.</summary>
    public Task StopAsync(CancellationToken cancellationToken)
    {
        lock (_lifecycle)
        {
            return _stopTask ??= StopCoreAsync();
        }
    }

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
        // A VM's workspace lives in its RAM: nothing survives the VM to re-attach. A previous VM still running is ended.
        if (request.PreviousInstanceId is { } previous && _instances.TryRemove(previous, out var old))
        {
            await EndAsync(old).ConfigureAwait(false);
        }

        MicroVmInstance instance;
        string source;
        if (TryClaimWarm() is { } warm)
        {
            instance = warm;
            source = "warm";
        }
        else
        {
            var preparation = await PrepareAsync(cancellationToken).ConfigureAwait(false);
            instance = await LaunchAsync(NewInstanceId(), preparation, cancellationToken).ConfigureAwait(false);
            source = instance.FromSnapshot ? "resumed" : "booted";
        }

        instance.TaskId = request.TaskId;
        _instances[instance.InstanceId] = instance;
        try
        {
            var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
            await HandOverAsync(instance, token, cancellationToken).ConfigureAwait(false);
            _ = BridgeKernelLogAsync(instance, token);
            LogInformationProvisioned(request.TaskId, instance.InstanceId, source, stopwatch.Elapsed.TotalMilliseconds);
            return new WorkspaceHandle(instance.InstanceId, instance.BaseAddress, token, Reattached: false);
        }
        catch
        {
            _instances.TryRemove(instance.InstanceId, out _);
            await EndAsync(instance).ConfigureAwait(false);
            throw;
        }
    }

    /// <inheritdoc />
    public Task<WorkspaceRuntimeStatus> GetStatusAsync(WorkspaceHandle handle, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(handle);
        if (!IsInstanceId(handle.InstanceId) || !_instances.TryGetValue(handle.InstanceId, out var instance))
        {
            return Task.FromResult(new WorkspaceRuntimeStatus(WorkspaceRuntimeState.NotFound));
        }

        return Task.FromResult(instance.Vm.HasExited
            ? new WorkspaceRuntimeStatus(WorkspaceRuntimeState.Exited, instance.Vm.ExitDetail())
            : new WorkspaceRuntimeStatus(WorkspaceRuntimeState.Running));
    }

    /// <inheritdoc />
    public async Task DeleteAsync(WorkspaceHandle handle, bool deleteStorage, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(handle);
        if (IsInstanceId(handle.InstanceId) && _instances.TryRemove(handle.InstanceId, out var instance))
        {
            await EndAsync(instance).ConfigureAwait(false);
            LogInformationDeleted(handle.InstanceId);
        }
    }

    /// <summary>
    /// A remote on the host's disk (path or <c>file://</c>, already checked by the task's remote policy) is linked into
    /// the VM's git export folder and reached as <c>git://10.0.2.100/origin.git</c>; network remotes are refused (the
    /// guest network reaches nothing else).
    /// </summary>
    public Task<string> ExposeRemoteAsync(WorkspaceHandle handle, string repoUrl, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(handle);
        ArgumentNullException.ThrowIfNull(repoUrl);
        if (!_instances.TryGetValue(handle.InstanceId, out var instance))
        {
            throw new InvalidOperationException($"MicroVM instance {handle.InstanceId} is not running.");
        }

        if (RemotePolicy.LocalPath(repoUrl) is not { } local)
        {
            throw new NotSupportedException(
                $"The MicroVm runtime reaches only repositories on the host's disk (its guests have no network); '{repoUrl}' is a network remote. Use Shadow:Runtime:Kind=Local for it.");
        }

        Directory.CreateDirectory(instance.GitExportDirectory);
        var link = Path.Combine(instance.GitExportDirectory, RemoteName);
        if (File.Exists(link) || Directory.Exists(link) || new FileInfo(link).LinkTarget is not null)
        {
            File.Delete(link);
        }

        Directory.CreateSymbolicLink(link, RemotePolicy.RealPath(local));
        return Task.FromResult($"git://{QemuVmm.GitForwardAddress}/{RemoteName}");
    }

    /// <summary>What the instance's console showed so far (kernel messages, the sidecar's output); empty when unknown.</summary>
    public string ReadConsole(string instanceId)
    {
        if (!_instances.TryGetValue(instanceId, out var instance) || !File.Exists(instance.Vm.ConsoleLogPath))
        {
            return string.Empty;
        }

        using var stream = new FileStream(instance.Vm.ConsoleLogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>The emergency channel: runs <paramref name="command"/> in the guest over its serial console.</summary>
    public Task<ConsoleExecResult> ExecOnConsoleAsync(string instanceId, string command, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        _instances.TryGetValue(instanceId, out var instance)
            ? instance.Vm.ExecOnConsoleAsync(command, timeout, cancellationToken)
            : throw new InvalidOperationException($"MicroVM instance {instanceId} is not running.");

    /// <summary>The resident memory of the instance's VMM process, in bytes; null when unknown.</summary>
    public long? ResidentBytesOf(string instanceId) =>
        _instances.TryGetValue(instanceId, out var instance) ? instance.Vm.ResidentBytes() : null;

    /// <summary>
    /// Every VM handed to a task, with that task's id: what a reconciler compares with the live tasks to end the VMs
    /// whose task is gone (the generic <c>IWorkspaceRuntime.ListInstancesAsync</c> maps onto this once it exists).
    /// </summary>
    public IReadOnlyList<(string InstanceId, string TaskId)> ListInstances() =>
        [.. _instances.Values.Where(i => i.TaskId is not null && !i.Vm.HasExited).Select(i => (i.InstanceId, i.TaskId!))];

    /// <summary>The orphan reconciler's view: <see cref="ListInstances"/> (VMs of a crashed host are ended at start, so none outlive it).</summary>
    public Task<IReadOnlyList<WorkspaceInstance>> ListInstancesAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<WorkspaceInstance>>([.. ListInstances().Select(i => new WorkspaceInstance(i.InstanceId, i.TaskId, null))]);

    /// <summary>The VMM process of an instance, or null.</summary>
    public int? ProcessIdOf(string instanceId) =>
        _instances.TryGetValue(instanceId, out var instance) && !instance.Vm.HasExited ? instance.Vm.ProcessId : null;

    /// <summary>How long the instance's VM took to start, and whether it resumed from the saved state.</summary>
    public (TimeSpan Duration, bool FromSnapshot)? StartInfoOf(string instanceId) =>
        _instances.TryGetValue(instanceId, out var instance) ? (instance.StartDuration, instance.FromSnapshot) : null;

    internal static bool IsInstanceId(string? value) =>
        value is { Length: IdLength } && value.AsSpan().IndexOfAnyExcept(IdAlphabet) < 0;

    private static string NewInstanceId() => RandomNumberGenerator.GetString(IdAlphabet, IdLength);

    /// <summary>The guest's clock, fresh randomness (a resumed guest would otherwise share its RNG state with every other), then the token.</summary>
    private async Task HandOverAsync(MicroVmInstance instance, string token, CancellationToken cancellationToken)
    {
        var vm = instance.Vm;
        await vm.SendControlAsync(string.Create(CultureInfo.InvariantCulture, $"time {_time.GetUtcNow().ToUnixTimeSeconds()}"), cancellationToken).ConfigureAwait(false);
        await vm.SendControlAsync("seed " + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(64)), cancellationToken).ConfigureAwait(false);
        await vm.SendControlAsync("token " + token, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Puts the guest's kernel log (the boot messages, later kernel messages, and what the guest's init writes to
    /// /dev/kmsg) into the task's terminal stream: a background command of the workspace's sidecar follows /dev/kmsg, and
    /// the sidecar's terminal buffer is what the task's terminal follows. Off the provisioning path; best effort.
    /// </summary>
    private async Task BridgeKernelLogAsync(MicroVmInstance instance, string token)
    {
        // bash builtins only (busybox sed cannot unbuffer): each record "level,seq,time,-;text" becomes "[vm console] text".
        const string Command = "while read -r line; do echo \"[vm console] ${line#*;}\"; done </dev/kmsg";
        try
        {
            var started = Stopwatch.StartNew();
            while (!_stopping.IsCancellationRequested && !instance.Vm.HasExited && started.Elapsed < TimeSpan.FromMinutes(2))
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(instance.BaseAddress, "exec/background"))
                {
                    Content = new StringContent(System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string> { ["command"] = Command }),
                        System.Text.Encoding.UTF8, "application/json"),
                };
                request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
                try
                {
                    using var response = await BridgeHttp.SendAsync(request, _stopping.Token).ConfigureAwait(false);
                    if (response.IsSuccessStatusCode)
                    {
                        return;
                    }

                    if (response.StatusCode != System.Net.HttpStatusCode.ServiceUnavailable)
                    {
                        LogWarningKernelLogBridge(instance.InstanceId, $"HTTP {(int)response.StatusCode}");
                        return;
                    }
                }
                catch (HttpRequestException)
                {
                    // Not answering yet.
                }

                await Task.Delay(TimeSpan.FromMilliseconds(100), _time, _stopping.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or TaskCanceledException)
        {
            // Stopping, or the VM went away.
        }
    }

    private static readonly HttpClient BridgeHttp = new() { Timeout = TimeSpan.FromSeconds(30) };

    private async Task<MicroVmPreparation> PrepareCoreAsync(CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        var image = await _images.BuildAsync(cancellationToken).ConfigureAwait(false);
        var (accelerator, reason) = await ChooseAcceleratorAsync(image, cancellationToken).ConfigureAwait(false);
        LogInformationAccelerator(accelerator, reason);
        var commandLine = KernelCommandLine(accelerator);
        var preparation = new MicroVmPreparation(image.Directory, accelerator, reason, commandLine, null) { Image = image };
        if (_options.UseSnapshots)
        {
            preparation = preparation with { StatePath = await EnsureSavedStateAsync(preparation, cancellationToken).ConfigureAwait(false) };
        }

        LogInformationPrepared(stopwatch.Elapsed.TotalSeconds, preparation.StatePath ?? "(snapshots off)");
        return preparation;
    }

    private async Task<(MicroVmAccelerator, string)> ChooseAcceleratorAsync(GuestImage image, CancellationToken cancellationToken)
    {
        if (_options.Accelerator == MicroVmAccelerator.Tcg)
        {
            return (MicroVmAccelerator.Tcg, $"{MicroVmRuntimeOptions.SectionName}:Accelerator is Tcg");
        }

        var probe = await ProbeKvmAsync(image, cancellationToken).ConfigureAwait(false);
        if (probe is null)
        {
            return (MicroVmAccelerator.Kvm, "a KVM guest booted in the probe");
        }

        if (_options.Accelerator == MicroVmAccelerator.Kvm)
        {
            throw new InvalidOperationException($"{MicroVmRuntimeOptions.SectionName}:Accelerator is Kvm, but KVM cannot boot the guest here: {probe} Use Auto or Tcg.");
        }

        return (MicroVmAccelerator.Tcg, "KVM probe failed: " + probe);
    }

    /// <summary>Boots the guest under KVM until its init reports ready; null on success, else why not.</summary>
    internal async Task<string?> ProbeKvmAsync(GuestImage image, CancellationToken cancellationToken)
    {
        if (!File.Exists("/dev/kvm"))
        {
            return "/dev/kvm does not exist.";
        }

        var dir = Path.Combine(_images.CacheDirectory, "probe-" + NewInstanceId());
        try
        {
            var spec = new VmLaunchSpec(dir, image.KernelPath, image.InitrdPath, KernelCommandLine(MicroVmAccelerator.Kvm), MicroVmAccelerator.Kvm,
                1, 256, SidecarGuestPort, null, null);
            IVirtualMachine vm;
            try
            {
                vm = await _vmm.LaunchAsync(spec, cancellationToken).ConfigureAwait(false);
            }
            catch (InvalidOperationException e)
            {
                return e.Message;
            }

            await using (vm.ConfigureAwait(false))
            {
                try
                {
                    await WaitForConsoleAsync(vm, InitReadyMarker, _options.KvmProbeTimeout, cancellationToken).ConfigureAwait(false);
                    return null;
                }
                catch (Exception e) when (e is TimeoutException or InvalidOperationException)
                {
                    return e.Message;
                }
            }
        }
        finally
        {
            TryDeleteDirectory(dir);
        }
    }

    /// <summary>The saved state for this image and VM shape; boots one VM to a waiting sidecar and saves it when missing.</summary>
    private async Task<string> EnsureSavedStateAsync(MicroVmPreparation preparation, CancellationToken cancellationToken)
    {
        var qemu = ExecutableSearch.Find(_options.QemuPath);
        var stamp = qemu is null ? "none" : string.Create(CultureInfo.InvariantCulture, $"{new FileInfo(qemu).Length:x}{File.GetLastWriteTimeUtc(qemu).Ticks:x}");
        var shape = $"{preparation.Image.Key}|{preparation.Accelerator}|{_options.VcpuCount}|{_options.MemoryMiB}|{preparation.KernelCommandLine}|{stamp}";
        var name = Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(shape)))[..16];
        var states = Directory.CreateDirectory(Path.Combine(_images.CacheDirectory, "states")).FullName;
        var path = Path.Combine(states, name + ".vmstate");
        if (File.Exists(path))
        {
            return path;
        }

        LogInformationSavingState(path);
        var template = await LaunchAsync("template-" + NewInstanceId()[..6], preparation with { StatePath = null }, cancellationToken).ConfigureAwait(false);
        var partial = path + ".partial-" + NewInstanceId()[..6];
        try
        {
            await template.Vm.SaveStateAsync(partial, cancellationToken).ConfigureAwait(false);
            File.Move(partial, path, overwrite: true);
        }
        finally
        {
            await EndAsync(template).ConfigureAwait(false);
            if (File.Exists(partial))
            {
                File.Delete(partial);
            }
        }

        LogInformationStateSaved(path, new FileInfo(path).Length / (1024.0 * 1024.0), template.StartDuration.TotalSeconds);
        return path;
    }

    /// <summary>Starts a VM: resumed from the saved state when there is one (answers once it runs), else booted (answers once its sidecar listens).</summary>
    private async Task<MicroVmInstance> LaunchAsync(string instanceId, MicroVmPreparation preparation, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        var dir = Path.Combine(_vmsDirectory, instanceId);
        Directory.CreateDirectory(Path.Combine(dir, "git"));
        var spec = new VmLaunchSpec(dir, preparation.Image.KernelPath, preparation.Image.InitrdPath, preparation.KernelCommandLine, preparation.Accelerator,
            _options.VcpuCount, _options.MemoryMiB, SidecarGuestPort, Path.Combine(dir, "git"), preparation.StatePath);
        IVirtualMachine vm;
        try
        {
            vm = await _vmm.LaunchAsync(spec, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            TryDeleteDirectory(dir);
            throw;
        }

        try
        {
            await File.WriteAllTextAsync(Path.Combine(dir, "vmm.pid"), $"{vm.ProcessId} {vm.ProcessStartTime}", cancellationToken).ConfigureAwait(false);
            if (preparation.StatePath is not null)
            {
                await vm.WaitRunningAsync(ResumeTimeout, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await WaitForConsoleAsync(vm, SidecarWarmMarker, _options.BootTimeout, cancellationToken).ConfigureAwait(false);
            }

            var port = await vm.GetForwardedPortAsync(cancellationToken).ConfigureAwait(false);
            return new MicroVmInstance(instanceId, dir, vm, port, stopwatch.Elapsed, preparation.StatePath is not null);
        }
        catch
        {
            await vm.DisposeAsync().ConfigureAwait(false);
            TryDeleteDirectory(dir);
            throw;
        }
    }

    private static async Task WaitForConsoleAsync(IVirtualMachine vm, string marker, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        long offset = 0;
        var carry = string.Empty;
        while (true)
        {
            if (File.Exists(vm.ConsoleLogPath))
            {
                await using var stream = new FileStream(vm.ConsoleLogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                stream.Seek(offset, SeekOrigin.Begin);
                using var reader = new StreamReader(stream);
                var text = carry + await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
                offset = stream.Position;
                if (text.Contains(marker, StringComparison.Ordinal))
                {
                    return;
                }

                carry = text.Length > marker.Length ? text[^marker.Length..] : text;
            }

            if (vm.HasExited)
            {
                throw new InvalidOperationException("The VM exited while booting. " + vm.ExitDetail());
            }

            if (stopwatch.Elapsed > timeout)
            {
                throw new TimeoutException($"The guest did not print '{marker}' within {timeout.TotalSeconds:0} s ({MicroVmRuntimeOptions.SectionName}:BootTimeout).");
            }

            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Trimmed kernel arguments for a fast direct boot; under TCG the TSC frequency is given (calibration fails on a busy host).</summary>
    private static string KernelCommandLine(MicroVmAccelerator accelerator)
    {
        var line = "console=ttyS0 quiet panic=-1 reboot=t tsc=reliable no_timer_check i8042.noaux i8042.nomux i8042.nopnp i8042.dumbkbd " +
            "rdinit=/init mitigations=off random.trust_cpu=on init_on_free=1";
        if (accelerator == MicroVmAccelerator.Tcg && HostTscKhz() is { } khz)
        {
            line += string.Create(CultureInfo.InvariantCulture, $" tsc_early_khz={khz}");
        }

        return line;
    }

    /// <summary>The host's TSC rate in kHz from <c>/proc/cpuinfo</c> (TCG's guest TSC runs at the host's rate).</summary>
    private static long? HostTscKhz()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
            {
                if (line.StartsWith("cpu MHz", StringComparison.Ordinal) && line.Split(':') is [_, var value]
                    && double.TryParse(value.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var mhz) && mhz > 0)
                {
                    return (long)Math.Round(mhz * 1000);
                }
            }
        }
        catch (IOException)
        {
            // No cpuinfo: the guest calibrates by itself.
        }

        return null;
    }

    private MicroVmInstance? TryClaimWarm()
    {
        MicroVmInstance? claimed = null;
        lock (_warm)
        {
            while (_warm.Count > 0 && claimed is null)
            {
                var candidate = _warm[0];
                _warm.RemoveAt(0);
                if (!candidate.Vm.HasExited)
                {
                    claimed = candidate;
                }
                else
                {
                    _ = EndAsync(candidate);
                }
            }
        }

        _refill.Writer.TryWrite(true);
        return claimed;
    }

    private async Task RefillLoopAsync(CancellationToken stopping)
    {
        var failures = 0;
        try
        {
            await foreach (var _ in _refill.Reader.ReadAllAsync(stopping).ConfigureAwait(false))
            {
                while (!stopping.IsCancellationRequested && WarmCount < _options.WarmPoolSize)
                {
                    try
                    {
                        var preparation = await PrepareAsync(stopping).ConfigureAwait(false);
                        var instance = await LaunchAsync(NewInstanceId(), preparation, stopping).ConfigureAwait(false);
                        lock (_warm)
                        {
                            _warm.Add(instance);
                        }

                        failures = 0;
                    }
                    catch (Exception e) when (e is not OperationCanceledException && !stopping.IsCancellationRequested)
                    {
                        failures++;
                        var backoff = TimeSpan.FromSeconds(Math.Min(60, Math.Pow(2, failures - 1)));
                        LogWarningWarmFailed(e, backoff.TotalSeconds);
                        await Task.Delay(backoff, _time, stopping).ConfigureAwait(false);
                    }
                }
            }
        }
        catch (Exception e) when ((e is OperationCanceledException or ObjectDisposedException or ChannelClosedException) && stopping.IsCancellationRequested)
        {
            // Host stopping.
        }
    }

    private async Task EndAsync(MicroVmInstance instance)
    {
        await instance.Vm.DisposeAsync().ConfigureAwait(false);
        TryDeleteDirectory(instance.Directory);
    }

    /// <summary>Kills the VMM processes a previous host left behind (same pid and start time) and removes their folders.</summary>
    private void EndLeftovers()
    {
        if (!Directory.Exists(_vmsDirectory))
        {
            return;
        }

        foreach (var dir in Directory.EnumerateDirectories(_vmsDirectory))
        {
            if (_instances.ContainsKey(Path.GetFileName(dir)))
            {
                continue;
            }

            var record = Path.Combine(dir, "vmm.pid");
            if (File.Exists(record) && File.ReadAllText(record).Split(' ', 2) is [var pidText, var startTime]
                && int.TryParse(pidText, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid > 1 && UnixProcess.IsRunning(pid, startTime))
            {
                LogWarningLeftover(pid);
                UnixProcess.Signal(pid, UnixProcess.SigKill);
            }

            TryDeleteDirectory(dir);
        }
    }

    private async Task StopCoreAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _refill.Writer.TryComplete();
        try
        {
            await _refillLoop.ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
        {
            // Stopped mid-launch; that VM is ended by its own launch path.
        }

        List<MicroVmInstance> all;
        lock (_warm)
        {
            all = [.. _warm];
            _warm.Clear();
        }

        all.AddRange(_instances.Values);
        _instances.Clear();
        if (all.Count > 0)
        {
            LogInformationStopping(all.Count);
        }

        await Task.WhenAll(all.Select(EndAsync)).ConfigureAwait(false);
    }

    private void TryDeleteDirectory(string dir)
    {
        try
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LogWarningDeleteFailed(e, dir);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "MicroVM {InstanceId} for task {TaskId} provisioned ({Source}) in {ElapsedMilliseconds:0.0} ms")]
    private partial void LogInformationProvisioned(string taskId, string instanceId, string source, double elapsedMilliseconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "MicroVM {InstanceId} ended")]
    private partial void LogInformationDeleted(string instanceId);

    [LoggerMessage(Level = LogLevel.Information, Message = "MicroVM accelerator: {Accelerator} ({Reason})")]
    private partial void LogInformationAccelerator(MicroVmAccelerator accelerator, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "MicroVM runtime prepared in {Seconds:0.0} s; new workspaces resume from {StatePath}")]
    private partial void LogInformationPrepared(double seconds, string statePath);

    [LoggerMessage(Level = LogLevel.Information, Message = "MicroVM: booting a template VM to save the state new workspaces resume from ({Path})")]
    private partial void LogInformationSavingState(string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "MicroVM state saved: {Path} ({SizeMiB:0} MiB; the template booted in {BootSeconds:0.0} s)")]
    private partial void LogInformationStateSaved(string path, double sizeMiB, double bootSeconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopping {Count} microVMs")]
    private partial void LogInformationStopping(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Starting a warm microVM failed; retrying in {BackoffSeconds} s")]
    private partial void LogWarningWarmFailed(Exception exception, double backoffSeconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "MicroVM {InstanceId}: the kernel log is not bridged to the terminal ({Reason})")]
    private partial void LogWarningKernelLogBridge(string instanceId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "VMM process {ProcessId} was left running by a previous host; ending it")]
    private partial void LogWarningLeftover(int processId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot delete {Path}")]
    private partial void LogWarningDeleteFailed(Exception exception, string path);
}
