using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;
using Polly.Timeout;
using Shadow.Grains.Abstractions.Errors;

namespace Shadow.Grains.Runtime.Kubernetes;

/// <summary>
/// Runs each workspace as a pod (see <see cref="WorkspacePods"/>) through the Kubernetes API: creates the pod and its token
/// Secret, follows the pod with a watch until it is Ready, answers the pod's IP and the sidecar port. A pod that died or was
/// evicted reads as <see cref="WorkspaceRuntimeState.Exited"/>, so <c>WorkspaceGrain</c> makes a new one and restores it from
/// the shadow branch (the emptyDir went with the old pod: nothing is ever re-attached). Deleting a pod that is already gone
/// counts as done. No <c>k8s.Models</c> type leaves this folder.
/// </summary>
public sealed partial class KubernetesPodRuntime : IWorkspaceRuntime, IDisposable
{
    /// <summary>The value of <see cref="Kind"/> and of <c>Shadow:Runtime:Kind</c> that selects this runtime.</summary>
    public const string RuntimeKind = "Kubernetes";

    private readonly KubernetesRuntimeOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<KubernetesPodRuntime> _logger;
    private readonly Lazy<IKubernetes> _client;
    private readonly ResiliencePipeline _pipeline;
    private readonly SemaphoreSlim _policyGate = new(1, 1);
    private bool _policyEnsured;

    /// <summary>
    /// Creates the runtime; the API client is made on first use from <see cref="KubernetesRuntimeOptions.KubeConfigPath"/> or the
    /// in-cluster account. <paramref name="timeProvider"/> times API retries and watch back-off: give it real time.
    /// </summary>
    public KubernetesPodRuntime(IOptions<KubernetesRuntimeOptions> options, TimeProvider timeProvider, ILogger<KubernetesPodRuntime> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        _options = options.Value;
        _time = timeProvider;
        _logger = logger;
        _client = new Lazy<IKubernetes>(() => new k8s.Kubernetes(BuildConfiguration(_options)));
        _pipeline = new ResiliencePipelineBuilder { TimeProvider = timeProvider }
            .AddRetry(new RetryStrategyOptions
            {
                // Every call here may run again: reads and deletes are idempotent, creates answer 409 on a repeat (handled as done).
                ShouldHandle = new PredicateBuilder().Handle<HttpRequestException>().Handle<HttpOperationException>(IsTransient).Handle<TimeoutRejectedException>(),
                MaxRetryAttempts = 4,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(200),
            })
            .AddTimeout(TimeSpan.FromSeconds(30))
            .Build();
    }

    /// <inheritdoc />
    public string Kind => RuntimeKind;

    private IKubernetes Client => _client.Value;

    private string Namespace => _options.Namespace;

    /// <inheritdoc />
    public async Task<WorkspaceHandle> ProvisionAsync(WorkspaceProvisionRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var stopwatch = Stopwatch.StartNew();
        await EnsureNetworkPolicyAsync(cancellationToken).ConfigureAwait(false);
        if (request.PreviousInstanceId is { } previous && WorkspacePods.IsPodName(previous))
        {
            await DeletePreviousAsync(request.TaskId, previous, cancellationToken).ConfigureAwait(false);
        }

        var name = WorkspacePods.NewPodName(request.TaskId);
        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        V1Pod created;
        try
        {
            created = await _pipeline.ExecuteAsync(
                async ct => await CreateOrGetPodAsync(WorkspacePods.Pod(name, request.TaskId, _options), ct).ConfigureAwait(false),
                cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e)
        {
            throw new WorkspaceUnavailableException(request.TaskId, $"Creating pod {name} in namespace {Namespace} failed: {Describe(e)}");
        }

        try
        {
            // Created after the pod so the pod can own it: the garbage collector then removes the token with the pod.
            await _pipeline.ExecuteAsync(
                async ct => await CreateSecretAsync(WorkspacePods.TokenSecret(created, request.TaskId, token), ct).ConfigureAwait(false),
                cancellationToken).ConfigureAwait(false);
            var ready = await WaitReadyAsync(request.TaskId, created, cancellationToken).ConfigureAwait(false);
            var address = new Uri($"http://{FormatHost(ready.Status.PodIP)}:{_options.SidecarPort.ToString(CultureInfo.InvariantCulture)}/");
            LogInformationProvisioned(request.TaskId, name, stopwatch.Elapsed.TotalMilliseconds);
            return new WorkspaceHandle(name, address, token, Reattached: false);
        }
        catch (Exception e)
        {
            // Never leave a pod behind that no grain knows of.
            await DeleteQuietlyAsync(name).ConfigureAwait(false);
            if (e is HttpOperationException http)
            {
                throw new WorkspaceUnavailableException(request.TaskId, $"Provisioning pod {name} failed: {Describe(http)}");
            }

            throw;
        }
    }

    /// <inheritdoc />
    public async Task<WorkspaceRuntimeStatus> GetStatusAsync(WorkspaceHandle handle, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(handle);
        if (!WorkspacePods.IsPodName(handle.InstanceId))
        {
            return new WorkspaceRuntimeStatus(WorkspaceRuntimeState.NotFound);
        }

        try
        {
            var pod = await _pipeline.ExecuteAsync(
                async ct => await Client.CoreV1.ReadNamespacedPodAsync(handle.InstanceId, Namespace, cancellationToken: ct).ConfigureAwait(false),
                cancellationToken).ConfigureAwait(false);
            return WorkspacePods.StatusOf(pod);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return new WorkspaceRuntimeStatus(WorkspaceRuntimeState.NotFound);
        }
    }

    /// <inheritdoc />
    public async Task DeleteAsync(WorkspaceHandle handle, bool deleteStorage, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(handle);
        if (!WorkspacePods.IsPodName(handle.InstanceId))
        {
            return;
        }

        // The workspace lives on the pod's emptyDir: ending the pod always drops it, whatever deleteStorage says.
        await DeleteIgnoringNotFoundAsync(ct => Client.CoreV1.DeleteNamespacedPodAsync(handle.InstanceId, Namespace, cancellationToken: ct), cancellationToken)
            .ConfigureAwait(false);
        await DeleteIgnoringNotFoundAsync(ct => Client.CoreV1.DeleteNamespacedSecretAsync(handle.InstanceId, Namespace, cancellationToken: ct), cancellationToken)
            .ConfigureAwait(false);
        LogInformationDeleted(handle.InstanceId);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<WorkspaceInstance>> ListInstancesAsync(CancellationToken cancellationToken = default)
    {
        var pods = await _pipeline.ExecuteAsync(
            async ct => await Client.CoreV1.ListNamespacedPodAsync(Namespace, labelSelector: WorkspacePods.Selector, cancellationToken: ct).ConfigureAwait(false),
            cancellationToken).ConfigureAwait(false);
        return
        [
            .. pods.Items
                .Where(p => p.Metadata?.Annotations?.ContainsKey(WorkspacePods.TaskIdAnnotation) == true && WorkspacePods.IsPodName(p.Metadata.Name))
                .Select(p => new WorkspaceInstance(
                    p.Metadata.Name,
                    p.Metadata.Annotations[WorkspacePods.TaskIdAnnotation],
                    p.Metadata.CreationTimestamp is { } created ? new DateTimeOffset(DateTime.SpecifyKind(created, DateTimeKind.Utc)) : null)),
        ];
    }

    /// <summary>Disposes the API client.</summary>
    public void Dispose()
    {
        if (_client.IsValueCreated)
        {
            _client.Value.Dispose();
        }

        _policyGate.Dispose();
    }

    /// <summary>The client configuration: the kubeconfig file when set, else in-cluster when in a pod, else the default kubeconfig.</summary>
    internal static KubernetesClientConfiguration BuildConfiguration(KubernetesRuntimeOptions options)
    {
        if (!string.IsNullOrEmpty(options.KubeConfigPath))
        {
            return KubernetesClientConfiguration.BuildConfigFromConfigFile(options.KubeConfigPath, NullIfEmpty(options.KubeConfigContext));
        }

        return KubernetesClientConfiguration.IsInCluster()
            ? KubernetesClientConfiguration.InClusterConfig()
            : KubernetesClientConfiguration.BuildConfigFromConfigFile(currentContext: NullIfEmpty(options.KubeConfigContext));
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private async Task<V1Pod> CreateOrGetPodAsync(V1Pod pod, CancellationToken cancellationToken)
    {
        try
        {
            return await Client.CoreV1.CreateNamespacedPodAsync(pod, Namespace, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            // A retried create whose first attempt went through (the name is ours alone: it ends in random characters).
            return await Client.CoreV1.ReadNamespacedPodAsync(pod.Metadata.Name, Namespace, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task CreateSecretAsync(V1Secret secret, CancellationToken cancellationToken)
    {
        try
        {
            await Client.CoreV1.CreateNamespacedSecretAsync(secret, Namespace, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            // Ours from an earlier attempt of this retry.
        }
    }

    /// <summary>
    /// Follows the pod with a watch (from the resource version it was created at, so no event is missed) until it is Ready.
    /// A watch the server ends is resumed from the last version seen; one whose version expired (410) starts again from a fresh read.
    /// </summary>
    private async Task<V1Pod> WaitReadyAsync(string taskId, V1Pod created, CancellationToken cancellationToken)
    {
        var name = created.Metadata.Name;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_options.ReadyTimeout);
        var last = created;
        var resourceVersion = created.Metadata.ResourceVersion;
        var fruitless = 0;
        try
        {
            while (true)
            {
                if (WorkspacePods.IsReady(last))
                {
                    return last;
                }

                ThrowIfEnded(taskId, last);
                if (fruitless > 0)
                {
                    // A watch that ended without news (an error event, a broken stream): back off before the next one.
                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(2000, 50 << Math.Min(fruitless, 6))), _time, deadline.Token).ConfigureAwait(false);
                }

                Exception? watchError = null;
                var progressed = false;
                var events = Client.CoreV1.WatchListNamespacedPodAsync(
                    Namespace,
                    allowWatchBookmarks: true,
                    fieldSelector: $"metadata.name={name}",
                    resourceVersion: resourceVersion,
                    timeoutSeconds: (int)Math.Ceiling(_options.ReadyTimeout.TotalSeconds),
                    onError: e => watchError = e,
                    cancellationToken: deadline.Token);
                try
                {
                    await foreach (var (type, pod) in events.ConfigureAwait(false))
                    {
                        progressed = true;
                        resourceVersion = pod.Metadata?.ResourceVersion ?? resourceVersion;
                        if (type == WatchEventType.Bookmark)
                        {
                            continue;
                        }

                        if (type == WatchEventType.Deleted)
                        {
                            throw new WorkspaceUnavailableException(taskId, $"Pod {name} was deleted before it became ready ({WorkspacePods.Describe(pod)}).");
                        }

                        last = pod;
                        if (WorkspacePods.IsReady(pod))
                        {
                            return pod;
                        }

                        ThrowIfEnded(taskId, pod);
                    }
                }
                catch (Exception e) when (e is HttpRequestException or IOException && !deadline.IsCancellationRequested)
                {
                    // The stream broke (a proxy or the API server went away): watch again from the last version seen.
                    watchError = e;
                }

                fruitless = progressed ? 0 : fruitless + 1;
                if (watchError is KubernetesException { Status.Code: 410 })
                {
                    // The version we watched from is too old: read the pod afresh and watch from there.
                    LogDebugWatchExpired(name);
                    last = await _pipeline.ExecuteAsync(
                        async ct => await Client.CoreV1.ReadNamespacedPodAsync(name, Namespace, cancellationToken: ct).ConfigureAwait(false),
                        deadline.Token).ConfigureAwait(false);
                    resourceVersion = last.Metadata.ResourceVersion;
                }
                else if (watchError is not null)
                {
                    LogDebugWatchBroken(name, watchError.Message);
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new WorkspaceUnavailableException(taskId,
                $"Pod {name} did not become ready within {_options.ReadyTimeout.TotalSeconds:0} s ({KubernetesRuntimeOptions.SectionName}:ReadyTimeout): {WorkspacePods.Describe(last)}.");
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            throw new WorkspaceUnavailableException(taskId, $"Pod {name} was deleted before it became ready.");
        }
    }

    private static void ThrowIfEnded(string taskId, V1Pod pod)
    {
        if (pod.Status?.Phase is "Failed" or "Succeeded" || pod.Metadata?.DeletionTimestamp is not null)
        {
            throw new WorkspaceUnavailableException(taskId, $"Pod {pod.Metadata?.Name} ended before it became ready: {WorkspacePods.Describe(pod)}.");
        }
    }

    private async Task EnsureNetworkPolicyAsync(CancellationToken cancellationToken)
    {
        if (!_options.ManageNetworkPolicy || Volatile.Read(ref _policyEnsured))
        {
            return;
        }

        await _policyGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_policyEnsured)
            {
                return;
            }

            await _pipeline.ExecuteAsync(async ct =>
            {
                try
                {
                    await Client.NetworkingV1.CreateNamespacedNetworkPolicyAsync(WorkspacePods.NetworkPolicy(_options), Namespace, cancellationToken: ct).ConfigureAwait(false);
                    LogInformationNetworkPolicyCreated(WorkspacePods.NetworkPolicyName, Namespace);
                }
                catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
                {
                    // Already there (another silo, or the chart, made it).
                }
            }, cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref _policyEnsured, true);
        }
        finally
        {
            _policyGate.Release();
        }
    }

    /// <summary>
    /// The task's earlier pod (it died, or its grain lost it): its emptyDir cannot be carried over, so it goes now rather than
    /// waiting for the orphan reconciler. Only a pod of the same task is touched.
    /// </summary>
    private async Task DeletePreviousAsync(string taskId, string podName, CancellationToken cancellationToken)
    {
        V1Pod pod;
        try
        {
            pod = await _pipeline.ExecuteAsync(
                async ct => await Client.CoreV1.ReadNamespacedPodAsync(podName, Namespace, cancellationToken: ct).ConfigureAwait(false),
                cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return;
        }

        if (pod.Metadata?.Annotations?.TryGetValue(WorkspacePods.TaskIdAnnotation, out var owner) == true && owner == taskId)
        {
            LogInformationReplacing(podName, taskId, WorkspacePods.Describe(pod));
            await DeleteAsync(new WorkspaceHandle(podName, new Uri("http://127.0.0.1/"), "-", Reattached: false), deleteStorage: true, cancellationToken)
                .ConfigureAwait(false);
        }
    }

    private async Task DeleteIgnoringNotFoundAsync(Func<CancellationToken, Task> delete, CancellationToken cancellationToken)
    {
        await _pipeline.ExecuteAsync(async ct =>
        {
            try
            {
                await delete(ct).ConfigureAwait(false);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
            {
                // Already gone: done.
            }
        }, cancellationToken).ConfigureAwait(false);
    }

    private async Task DeleteQuietlyAsync(string name)
    {
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await DeleteAsync(new WorkspaceHandle(name, new Uri("http://127.0.0.1/"), "-", Reattached: false), deleteStorage: true, cts.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpOperationException or HttpRequestException or OperationCanceledException or TimeoutException or TimeoutRejectedException)
        {
            // The orphan reconciler collects it later.
            LogWarningCleanupFailed(name, e.Message);
        }
    }

    private static bool IsTransient(HttpOperationException e) =>
        e.Response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.InternalServerError or HttpStatusCode.BadGateway
            or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout;

    private static string FormatHost(string ip) => IPAddress.TryParse(ip, out var parsed) && parsed.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{ip}]" : ip;

    private static string Describe(HttpOperationException e)
    {
        var body = e.Response.Content;
        return $"{(int)e.Response.StatusCode} {e.Response.StatusCode}{(string.IsNullOrWhiteSpace(body) ? "" : $": {Truncate(body, 500)}")}";
    }

    private static string Truncate(string text, int max) => text.Length <= max ? text : text[..max] + "…";

    [LoggerMessage(Level = LogLevel.Information, Message = "Workspace pod {PodName} for task {TaskId} ready in {ElapsedMilliseconds:0.0} ms")]
    private partial void LogInformationProvisioned(string taskId, string podName, double elapsedMilliseconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Workspace pod {PodName} of task {TaskId} is replaced by a new pod ({State})")]
    private partial void LogInformationReplacing(string podName, string taskId, string state);

    [LoggerMessage(Level = LogLevel.Information, Message = "Workspace pod {PodName} deleted")]
    private partial void LogInformationDeleted(string podName);

    [LoggerMessage(Level = LogLevel.Information, Message = "NetworkPolicy {Name} created in namespace {Namespace}")]
    private partial void LogInformationNetworkPolicyCreated(string name, string @namespace);

    [LoggerMessage(Level = LogLevel.Debug, Message = "The watch on pod {PodName} expired (410); reading it afresh")]
    private partial void LogDebugWatchExpired(string podName);

    [LoggerMessage(Level = LogLevel.Debug, Message = "The watch on pod {PodName} broke ({Error}); resuming")]
    private partial void LogDebugWatchBroken(string podName, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not delete pod {PodName} after a failed provision ({Error}); the orphan reconciler collects it")]
    private partial void LogWarningCleanupFailed(string podName, string error);
}
