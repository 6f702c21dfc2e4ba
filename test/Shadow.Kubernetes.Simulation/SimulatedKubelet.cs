using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace Shadow.Kubernetes.Simulation;

/// <summary>
/// A SIMULATION of the scheduler and one node's kubelet: binds every new pod to the node, gives it its own loopback IP
/// (127.x.y.z, the whole 127/8 is loopback on Linux, so each pod has its own address and the sidecar listens on the port the
/// pod spec says, exactly as in a cluster), runs its first container as a real local process (the program of
/// <see cref="KubeletOptions.ProgramPath"/>; args and env from the spec, <c>secretKeyRef</c> resolved from the store,
/// emptyDir mount paths mapped to host folders, <c>0.0.0.0</c> mapped to the pod IP as a network namespace would), runs the
/// readiness probe (HTTP GET) and reports phase, IP, container state and the Ready condition; ends the process on deletion
/// (SIGTERM, then SIGKILL after the grace period) before removing the pod; and can crash or evict a pod on request.
/// Not simulated: images, cgroups/limits, security contexts, liveness probes, restarts (pods are restartPolicy Never).
/// </summary>
public sealed class SimulatedKubelet : IAsyncDisposable
{
    /// <summary>Images under this prefix do not exist: their pods stay in ImagePullBackOff.</summary>
    public const string MissingImagePrefix = "missing.example/";

    private static readonly HttpClient Probe = new() { Timeout = TimeSpan.FromSeconds(2) };
    private readonly ObjectStore _store;
    private readonly KubeletOptions _options;
    private readonly ConcurrentDictionary<ResourceKey, PodRun> _runs = new();
    private readonly Channel<StoredEvent> _events = Channel.CreateUnbounded<StoredEvent>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stopping = new();
    private readonly IDisposable _subscription;
    private readonly Task _loop;
    private readonly int _subnetA = RandomNumberGenerator.GetInt32(100, 250);
    private readonly int _subnetB = RandomNumberGenerator.GetInt32(0, 256);
    private int _nextHost = 1;

    public SimulatedKubelet(ObjectStore store, KubeletOptions options)
    {
        _store = store;
        _options = options;
        Directory.CreateDirectory(options.RootDirectory);
        (_, _subscription) = store.Subscribe(null, e =>
        {
            if (e.Key.Resource is "pods" or "secrets")
            {
                _events.Writer.TryWrite(e);
            }
        });
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>When each pod's Ready condition was set (<see cref="Stopwatch"/> ticks), for benchmarks.</summary>
    public ConcurrentDictionary<string, long> ReadyAt { get; } = new(StringComparer.Ordinal);

    /// <summary>When each pod's process was started (<see cref="Stopwatch"/> ticks), for benchmarks.</summary>
    public ConcurrentDictionary<string, long> StartedAt { get; } = new(StringComparer.Ordinal);

    /// <summary>Pods whose process runs now.</summary>
    public IReadOnlyCollection<string> RunningPods => [.. _runs.Values.Where(r => r.Process is { HasExited: false }).Select(r => r.Key.Name)];

    /// <summary>The process id of a pod's container, or null.</summary>
    public int? ProcessIdOf(string ns, string name) =>
        _runs.TryGetValue(new ResourceKey("pods", ns, name), out var run) && run.Process is { HasExited: false } p ? p.Id : null;

    /// <summary>Kills the pod's container (SIGKILL, exit 137), as an OOM kill or a node fault would: the pod goes Failed.</summary>
    public void Crash(string ns, string name)
    {
        var run = _runs.TryGetValue(new ResourceKey("pods", ns, name), out var r) ? r : throw new InvalidOperationException($"pod {ns}/{name} does not run here");
        run.Process?.Kill(entireProcessTree: true);
    }

    /// <summary>Evicts the pod (node pressure): its container is killed and the pod goes Failed with reason Evicted.</summary>
    public void Evict(string ns, string name, string message = "The node was low on resource: ephemeral-storage.")
    {
        var run = _runs.TryGetValue(new ResourceKey("pods", ns, name), out var r) ? r : throw new InvalidOperationException($"pod {ns}/{name} does not run here");
        run.Eviction = message;
        run.Process?.Kill(entireProcessTree: true);
    }

    public async ValueTask DisposeAsync()
    {
        _subscription.Dispose();
        await _stopping.CancelAsync();
        _events.Writer.TryComplete();
        foreach (var run in _runs.Values)
        {
            try
            {
                run.Process?.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // Already ended.
            }
        }

        await Task.WhenAll(_runs.Values.Select(r => r.Task ?? Task.CompletedTask).Append(_loop)).WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { }, TaskScheduler.Default);
        foreach (var run in _runs.Values)
        {
            run.Process?.Dispose();
            TryDelete(run.HostDirectory);
        }

        _stopping.Dispose();
    }

    private async Task LoopAsync()
    {
        await foreach (var e in _events.Reader.ReadAllAsync())
        {
            if (e.Key.Resource == "secrets")
            {
                foreach (var run in _runs.Values)
                {
                    run.SecretsChanged();
                }

                continue;
            }

            if (e.Type == "ADDED" && !_runs.ContainsKey(e.Key))
            {
                var run = new PodRun(e.Key, (string)e.Object["metadata"]!["uid"]!, Path.Combine(_options.RootDirectory, e.Key.Name + "-" + ((string)e.Object["metadata"]!["uid"]!)[..8]));
                _runs[e.Key] = run;
                run.Task = Task.Run(() => RunPodAsync(run, e.Object));
            }
            else if (e.Type == "MODIFIED" && e.Object["metadata"]?["deletionTimestamp"] is not null && _runs.TryGetValue(e.Key, out var run) && !run.Terminating)
            {
                run.Terminating = true;
                var grace = (int?)e.Object["metadata"]?["deletionGracePeriodSeconds"] ?? 30;
                _ = Task.Run(() => TerminateAsync(run, TimeSpan.FromSeconds(grace)));
            }
            else if (e.Type == "DELETED" && _runs.TryRemove(e.Key, out var gone))
            {
                gone.Terminating = true;
                KillQuietly(gone);
                await (gone.Task ?? Task.CompletedTask).ContinueWith(_ => { }, TaskScheduler.Default);
                gone.Process?.Dispose();
                TryDelete(gone.HostDirectory);
            }
        }
    }

    private async Task RunPodAsync(PodRun run, JsonObject pod)
    {
        var ct = _stopping.Token;
        var ip = $"127.{_subnetA}.{_subnetB}.{Interlocked.Increment(ref _nextHost) % 254 + 1}";
        run.Ip = ip;
        var container = (JsonObject)pod["spec"]!["containers"]![0]!;
        var containerName = (string)container["name"]!;
        var image = (string?)container["image"] ?? "";
        Patch(run, p =>
        {
            p["spec"]!["nodeName"] = _options.NodeName;
            var status = (JsonObject)p["status"]!;
            status["hostIP"] = "127.0.0.1";
            status["podIP"] = ip;
            status["podIPs"] = new JsonArray(new JsonObject { ["ip"] = ip });
            status["startTime"] = ObjectStore.Now();
            status["conditions"] = Conditions(scheduled: true, ready: false);
            status["containerStatuses"] = new JsonArray(ContainerStatus(containerName, image, ready: false,
                new JsonObject { ["waiting"] = new JsonObject { ["reason"] = "ContainerCreating" } }));
        });

        try
        {
            if (image.StartsWith(MissingImagePrefix, StringComparison.Ordinal))
            {
                // A registry without this image: the pod stays Pending in ImagePullBackOff, as in a cluster.
                Patch(run, p => p["status"]!["containerStatuses"] = new JsonArray(ContainerStatus(containerName, image, ready: false,
                    new JsonObject { ["waiting"] = new JsonObject { ["reason"] = "ImagePullBackOff", ["message"] = $"Back-off pulling image \"{image}\"" } })));
                return;
            }

            var mounts = Mounts(run, pod, container);
            var env = await ResolveEnvAsync(run, container, mounts, containerName, image, ct);
            if (env is null)
            {
                return;
            }

            var psi = StartInfo(container, mounts, env, ip);
            var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
            process.OutputDataReceived += (_, e) => run.Log(e.Data);
            process.ErrorDataReceived += (_, e) => run.Log(e.Data);
            if (run.Terminating)
            {
                return;
            }

            process.Start();
            StartedAt[run.Key.Name] = Stopwatch.GetTimestamp();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            run.Process = process;
            var startedAt = ObjectStore.Now();
            Patch(run, p =>
            {
                var status = (JsonObject)p["status"]!;
                status["phase"] = "Running";
                status["containerStatuses"] = new JsonArray(ContainerStatus(containerName, image, ready: false,
                    new JsonObject { ["running"] = new JsonObject { ["startedAt"] = startedAt } }));
            });

            using var probing = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var probeLoop = ProbeAsync(run, container, containerName, image, startedAt, probing.Token);
            await process.WaitForExitAsync(ct);
            await probing.CancelAsync();
            await probeLoop.ContinueWith(_ => { }, TaskScheduler.Default);
            if (!run.Terminating)
            {
                var code = process.ExitCode;
                var evicted = run.Eviction;
                Patch(run, p =>
                {
                    var status = (JsonObject)p["status"]!;
                    status["phase"] = code == 0 && evicted is null ? "Succeeded" : "Failed";
                    if (evicted is not null)
                    {
                        status["reason"] = "Evicted";
                        status["message"] = evicted;
                    }

                    status["conditions"] = Conditions(scheduled: true, ready: false);
                    status["containerStatuses"] = new JsonArray(ContainerStatus(containerName, image, ready: false, new JsonObject
                    {
                        ["terminated"] = new JsonObject
                        {
                            ["exitCode"] = code,
                            ["reason"] = code == 0 ? "Completed" : code == 137 ? "OOMKilled" : "Error",
                            ["startedAt"] = startedAt,
                            ["finishedAt"] = ObjectStore.Now(),
                        },
                    }));
                });
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The simulation is shutting down.
        }
    }

    private async Task ProbeAsync(PodRun run, JsonObject container, string containerName, string image, string startedAt, CancellationToken ct)
    {
        var probe = container["readinessProbe"] as JsonObject;
        var path = (string?)probe?["httpGet"]?["path"] ?? "/";
        var port = ResolvePort(container, probe?["httpGet"]?["port"]);
        var period = _options.ProbePeriodOverride ?? TimeSpan.FromSeconds((int?)probe?["periodSeconds"] ?? 10);
        var delay = TimeSpan.FromSeconds((int?)probe?["initialDelaySeconds"] ?? 0);
        var failureThreshold = (int?)probe?["failureThreshold"] ?? 3;
        var failures = 0;
        var ready = false;
        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay, ct);
        }

        while (!ct.IsCancellationRequested)
        {
            bool ok;
            if (probe is null)
            {
                ok = true;
            }
            else
            {
                try
                {
                    using var response = await Probe.GetAsync(new Uri($"http://{run.Ip}:{port.ToString(CultureInfo.InvariantCulture)}{path}"), ct);
                    ok = (int)response.StatusCode is >= 200 and < 400;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
                {
                    ok = false;
                }
            }

            failures = ok ? 0 : failures + 1;
            var nowReady = ok || (ready && failures < failureThreshold);
            if (nowReady != ready && !run.Terminating)
            {
                ready = nowReady;
                if (ready)
                {
                    ReadyAt[run.Key.Name] = Stopwatch.GetTimestamp();
                }

                Patch(run, p =>
                {
                    var status = (JsonObject)p["status"]!;
                    if ((string?)status["phase"] != "Running")
                    {
                        return;
                    }

                    status["conditions"] = Conditions(scheduled: true, ready: nowReady);
                    status["containerStatuses"] = new JsonArray(ContainerStatus(containerName, image, ready: nowReady,
                        new JsonObject { ["running"] = new JsonObject { ["startedAt"] = startedAt } }));
                });
            }

            await Task.Delay(period, ct);
        }
    }

    private static int ResolvePort(JsonObject container, JsonNode? port)
    {
        if (port is JsonValue value && value.TryGetValue<int>(out var number))
        {
            return number;
        }

        var name = (string?)port;
        return container["ports"] is JsonArray ports
            && ports.FirstOrDefault(p => (string?)p?["name"] == name) is { } named
            ? (int)named["containerPort"]!
            : throw new InvalidOperationException($"probe port '{name}' names no container port");
    }

    private Dictionary<string, string> Mounts(PodRun run, JsonObject pod, JsonObject container)
    {
        Dictionary<string, string> mounts = new(StringComparer.Ordinal);
        var volumes = pod["spec"]?["volumes"] as JsonArray ?? [];
        foreach (var mount in container["volumeMounts"] as JsonArray ?? [])
        {
            var volumeName = (string)mount!["name"]!;
            var volume = volumes.FirstOrDefault(v => (string?)v?["name"] == volumeName)
                ?? throw new InvalidOperationException($"volume mount {volumeName} names no volume");
            if (volume["emptyDir"] is null)
            {
                throw new InvalidOperationException($"volume {volumeName}: only emptyDir volumes are simulated");
            }

            var host = Directory.CreateDirectory(Path.Combine(run.HostDirectory, "volumes", volumeName)).FullName;
            mounts[(string)mount["mountPath"]!] = host;
        }

        return mounts;
    }

    private async Task<Dictionary<string, string>?> ResolveEnvAsync(PodRun run, JsonObject container, Dictionary<string, string> mounts,
        string containerName, string image, CancellationToken ct)
    {
        var ns = run.Key.Namespace;
        var reported = false;
        while (!run.Terminating)
        {
            var changed = run.SecretsChangedTask;
            Dictionary<string, string> env = new(StringComparer.Ordinal);
            string? missing = null;
            foreach (var item in container["env"] as JsonArray ?? [])
            {
                var name = (string)item!["name"]!;
                if (item["valueFrom"]?["secretKeyRef"] is JsonObject secretRef)
                {
                    var secret = _store.TryGet("secrets", ns, (string)secretRef["name"]!);
                    if (secret?["data"]?[(string)secretRef["key"]!] is not { } data)
                    {
                        missing = $"secret \"{secretRef["name"]}\" not found";
                        break;
                    }

                    env[name] = Encoding.UTF8.GetString(Convert.FromBase64String((string)data!));
                }
                else
                {
                    env[name] = MapPath((string?)item["value"] ?? "", mounts);
                }
            }

            if (missing is null)
            {
                return env;
            }

            if (!reported)
            {
                reported = true;
                Patch(run, p => p["status"]!["containerStatuses"] = new JsonArray(ContainerStatus(containerName, image, ready: false,
                    new JsonObject { ["waiting"] = new JsonObject { ["reason"] = "CreateContainerConfigError", ["message"] = missing } })));
            }

            // The kubelet retries when the secret appears.
            await changed.WaitAsync(TimeSpan.FromSeconds(1), ct).ContinueWith(_ => { }, TaskScheduler.Default);
            ct.ThrowIfCancellationRequested();
        }

        return null;
    }

    private ProcessStartInfo StartInfo(JsonObject container, Dictionary<string, string> mounts, Dictionary<string, string> env, string ip)
    {
        var program = _options.ProgramPath;
        var psi = new ProcessStartInfo(program.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) ? DotnetHost() : program)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = mounts.Values.FirstOrDefault() ?? _options.RootDirectory,
        };
        if (program.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
        {
            psi.ArgumentList.Add(program);
        }

        foreach (var arg in container["args"] as JsonArray ?? [])
        {
            psi.ArgumentList.Add(MapPath((string)arg!, mounts).Replace("0.0.0.0", ip, StringComparison.Ordinal));
        }

        // The simulated container dies with the simulation (a test that crashes leaves no process behind).
        psi.ArgumentList.Add("--parent-pid");
        psi.ArgumentList.Add(Environment.ProcessId.ToString(CultureInfo.InvariantCulture));

        // A container sees only its own environment (plus what the dotnet host needs to start).
        psi.Environment.Clear();
        foreach (var name in new[] { "PATH", "DOTNET_ROOT", "DOTNET_HOST_PATH" })
        {
            if (Environment.GetEnvironmentVariable(name) is { } value)
            {
                psi.Environment[name] = value;
            }
        }

        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach (var (name, value) in env)
        {
            psi.Environment[name] = value;
        }

        return psi;
    }

    private static string MapPath(string value, Dictionary<string, string> mounts)
    {
        foreach (var (mountPath, host) in mounts.OrderByDescending(m => m.Key.Length))
        {
            if (value == mountPath)
            {
                return host;
            }

            if (value.StartsWith(mountPath + "/", StringComparison.Ordinal))
            {
                return host + value[mountPath.Length..];
            }
        }

        return value;
    }

    private static string DotnetHost() =>
        Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self
        : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host
        : "dotnet";

    private async Task TerminateAsync(PodRun run, TimeSpan grace)
    {
        if (run.Process is { HasExited: false } process)
        {
            _ = Posix.Kill(process.Id, Posix.SigTerm);
            using var cts = new CancellationTokenSource(grace);
            try
            {
                await process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                KillQuietly(run);
            }
        }

        try
        {
            _store.Remove("pods", run.Key.Namespace, run.Key.Name);
        }
        catch (ApiException)
        {
            // Removed meanwhile.
        }
    }

    private static void KillQuietly(PodRun run)
    {
        try
        {
            if (run.Process is { HasExited: false } process)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Ended meanwhile.
        }
    }

    private void Patch(PodRun run, Action<JsonObject> change)
    {
        _store.Update("pods", run.Key.Namespace, run.Key.Name, p =>
        {
            // Another pod of the same name (re-created) is not ours to touch.
            if ((string?)p["metadata"]?["uid"] == run.Uid)
            {
                change(p);
            }
        });
    }

    private static JsonArray Conditions(bool scheduled, bool ready)
    {
        var now = ObjectStore.Now();
        JsonObject Condition(string type, bool status) => new() { ["type"] = type, ["status"] = status ? "True" : "False", ["lastTransitionTime"] = now };
        return new JsonArray(Condition("PodScheduled", scheduled), Condition("Initialized", true), Condition("ContainersReady", ready), Condition("Ready", ready));
    }

    private static JsonObject ContainerStatus(string name, string image, bool ready, JsonObject state) => new()
    {
        ["name"] = name,
        ["image"] = image,
        ["imageID"] = "",
        ["ready"] = ready,
        ["started"] = state["running"] is not null,
        ["restartCount"] = 0,
        ["state"] = state,
    };

    private static void TryDelete(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }
        catch (IOException)
        {
            // Best effort; the test's temp folder goes anyway.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private sealed class PodRun(ResourceKey key, string uid, string hostDirectory)
    {
        private readonly Queue<string> _log = new();
        private TaskCompletionSource _secrets = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ResourceKey Key { get; } = key;

        public string Uid { get; } = uid;

        public string HostDirectory { get; } = hostDirectory;

        public string Ip { get; set; } = "";

        public Process? Process { get; set; }

        public Task? Task { get; set; }

        public volatile bool Terminating;

        public string? Eviction { get; set; }

        public Task SecretsChangedTask => Volatile.Read(ref _secrets).Task;

        public void SecretsChanged() => Interlocked.Exchange(ref _secrets, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

        public void Log(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (_log)
            {
                _log.Enqueue(line);
                if (_log.Count > 200)
                {
                    _log.Dequeue();
                }
            }
        }
    }
}
