using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using k8s.Models;

namespace Shadow.Grains.Runtime.Kubernetes;

/// <summary>
/// What a workspace looks like in Kubernetes: its pod (the sidecar container on an emptyDir workspace, restricted security
/// context, labels), the Secret with its sidecar token, and the NetworkPolicy that lets only the silos in; and how a pod's
/// status reads as a <see cref="WorkspaceRuntimeStatus"/>. Pure functions of the options; no API calls.
/// </summary>
internal static class WorkspacePods
{
    public const string NamePrefix = "shadow-ws-";
    public const string TaskIdLabel = "shadow.dev/task-id";
    public const string TaskIdAnnotation = "shadow.dev/task-id";
    public const string TokenKey = "token";
    public const string ContainerName = "sidecar";
    public const string NetworkPolicyName = "shadow-workspaces-silos-only";
    public const string WorkspaceMountPath = "/workspace";
    public const string StateMountPath = "/var/lib/shadow-sidecar";
    public const string TmpMountPath = "/tmp";

    /// <summary>The labels every workspace pod and Secret carries (and the selector that lists them).</summary>
    public static readonly IReadOnlyDictionary<string, string> CommonLabels = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["app.kubernetes.io/name"] = "shadow-workspace",
        ["app.kubernetes.io/component"] = "workspace",
        ["app.kubernetes.io/part-of"] = "shadow",
        ["app.kubernetes.io/managed-by"] = "shadow",
    };

    public static string Selector { get; } = string.Join(',', CommonLabels.Select(l => $"{l.Key}={l.Value}"));

    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";

    /// <summary><c>shadow-ws-&lt;task id, made name-safe&gt;-&lt;6 random&gt;</c>, a valid pod name (DNS label) of at most 63 characters.</summary>
    public static string NewPodName(string taskId)
    {
        var safe = new StringBuilder();
        foreach (var c in taskId.ToLowerInvariant())
        {
            safe.Append(c is (>= 'a' and <= 'z') or (>= '0' and <= '9') ? c : '-');
        }

        var middle = safe.ToString().Trim('-');
        if (middle.Length > 40)
        {
            middle = middle[..40].TrimEnd('-');
        }

        var suffix = RandomNumberGenerator.GetString(Alphabet, 6);
        return middle.Length == 0 ? NamePrefix + suffix : $"{NamePrefix}{middle}-{suffix}";
    }

    /// <summary>Whether <paramref name="name"/> could be a pod this runtime made (anything else never reaches the API).</summary>
    public static bool IsPodName(string? name) =>
        name is not null && name.StartsWith(NamePrefix, StringComparison.Ordinal) && KubernetesRuntimeOptionsValidator.IsDnsLabel(name);

    /// <summary>The task id as a label value when it is one; else a stable hash (the exact id is in the annotation).</summary>
    public static string TaskLabelValue(string taskId)
    {
        var valid = taskId.Length is > 0 and <= 63
            && char.IsAsciiLetterOrDigit(taskId[0]) && char.IsAsciiLetterOrDigit(taskId[^1])
            && taskId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');
        return valid ? taskId : "h-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(taskId)))[..40];
    }

    public static V1Pod Pod(string name, string taskId, KubernetesRuntimeOptions options)
    {
        var labels = new Dictionary<string, string>(CommonLabels) { ["app.kubernetes.io/instance"] = name, [TaskIdLabel] = TaskLabelValue(taskId) };
        var resources = new V1ResourceRequirements
        {
            Requests = new Dictionary<string, ResourceQuantity>
            {
                ["cpu"] = new(options.CpuRequest),
                ["memory"] = new(options.MemoryRequest),
            },
            Limits = new Dictionary<string, ResourceQuantity>
            {
                ["cpu"] = new(options.CpuLimit),
                ["memory"] = new(options.MemoryLimit),
            },
        };
        var port = options.SidecarPort;
        return new V1Pod
        {
            ApiVersion = "v1",
            Kind = "Pod",
            Metadata = new V1ObjectMeta
            {
                Name = name,
                NamespaceProperty = options.Namespace,
                Labels = labels,
                Annotations = new Dictionary<string, string> { [TaskIdAnnotation] = taskId },
            },
            Spec = new V1PodSpec
            {
                RestartPolicy = "Never",
                AutomountServiceAccountToken = false,
                EnableServiceLinks = false,
                RuntimeClassName = string.IsNullOrEmpty(options.RuntimeClassName) ? null : options.RuntimeClassName,
                TerminationGracePeriodSeconds = options.TerminationGracePeriodSeconds,
                SecurityContext = new V1PodSecurityContext
                {
                    RunAsNonRoot = true,
                    RunAsUser = options.RunAsUser,
                    RunAsGroup = options.RunAsUser,
                    FsGroup = options.RunAsUser,
                    SeccompProfile = new V1SeccompProfile { Type = "RuntimeDefault" },
                },
                Containers =
                [
                    new V1Container
                    {
                        Name = ContainerName,
                        Image = options.Image,
                        ImagePullPolicy = options.ImagePullPolicy,
                        Args =
                        [
                            "--workspace", WorkspaceMountPath,
                            "--state-dir", StateMountPath,
                            "--urls", $"http://0.0.0.0:{port.ToString(CultureInfo.InvariantCulture)}",
                        ],
                        Env =
                        [
                            new V1EnvVar
                            {
                                Name = "SHADOW_SIDECAR_TOKEN",
                                ValueFrom = new V1EnvVarSource { SecretKeyRef = new V1SecretKeySelector { Name = name, Key = TokenKey } },
                            },
                            new V1EnvVar { Name = "HOME", Value = TmpMountPath },
                            new V1EnvVar { Name = "TMPDIR", Value = TmpMountPath },
                        ],
                        Ports = [new V1ContainerPort { Name = "http", ContainerPort = port, Protocol = "TCP" }],
                        ReadinessProbe = new V1Probe
                        {
                            HttpGet = new V1HTTPGetAction { Path = "/health", Port = port },
                            PeriodSeconds = 2,
                            FailureThreshold = 1,
                        },
                        LivenessProbe = new V1Probe
                        {
                            HttpGet = new V1HTTPGetAction { Path = "/health", Port = port },
                            InitialDelaySeconds = 5,
                            PeriodSeconds = 10,
                            FailureThreshold = 3,
                        },
                        Resources = resources,
                        SecurityContext = new V1SecurityContext
                        {
                            AllowPrivilegeEscalation = false,
                            ReadOnlyRootFilesystem = true,
                            RunAsNonRoot = true,
                            Privileged = false,
                            Capabilities = new V1Capabilities { Drop = ["ALL"] },
                            SeccompProfile = new V1SeccompProfile { Type = "RuntimeDefault" },
                        },
                        VolumeMounts =
                        [
                            new V1VolumeMount { Name = "workspace", MountPath = WorkspaceMountPath },
                            new V1VolumeMount { Name = "state", MountPath = StateMountPath },
                            new V1VolumeMount { Name = "tmp", MountPath = TmpMountPath },
                        ],
                    },
                ],
                Volumes =
                [
                    new V1Volume { Name = "workspace", EmptyDir = new V1EmptyDirVolumeSource { SizeLimit = new ResourceQuantity(options.WorkspaceSizeLimit) } },
                    new V1Volume { Name = "state", EmptyDir = new V1EmptyDirVolumeSource { SizeLimit = new ResourceQuantity("1Gi") } },
                    new V1Volume { Name = "tmp", EmptyDir = new V1EmptyDirVolumeSource { SizeLimit = new ResourceQuantity("1Gi") } },
                ],
            },
        };
    }

    /// <summary>The pod's token Secret, owned by the pod so the garbage collector removes it with the pod.</summary>
    public static V1Secret TokenSecret(V1Pod pod, string taskId, string token) => new()
    {
        ApiVersion = "v1",
        Kind = "Secret",
        Type = "Opaque",
        Metadata = new V1ObjectMeta
        {
            Name = pod.Metadata.Name,
            NamespaceProperty = pod.Metadata.NamespaceProperty,
            Labels = new Dictionary<string, string>(CommonLabels) { [TaskIdLabel] = TaskLabelValue(taskId) },
            OwnerReferences =
            [
                new V1OwnerReference { ApiVersion = "v1", Kind = "Pod", Name = pod.Metadata.Name, Uid = pod.Metadata.Uid, BlockOwnerDeletion = false },
            ],
        },
        StringData = new Dictionary<string, string> { [TokenKey] = token },
    };

    /// <summary>Workspace pods accept connections only from the silo pods, and only on the sidecar's port.</summary>
    public static V1NetworkPolicy NetworkPolicy(KubernetesRuntimeOptions options)
    {
        var silos = KubernetesRuntimeOptionsValidator.ParseSelector(options.SiloPodSelector) ?? [];
        var peer = new V1NetworkPolicyPeer { PodSelector = new V1LabelSelector { MatchLabels = silos } };
        if (!string.IsNullOrEmpty(options.SiloNamespace) && options.SiloNamespace != options.Namespace)
        {
            peer.NamespaceSelector = new V1LabelSelector
            {
                MatchLabels = new Dictionary<string, string> { ["kubernetes.io/metadata.name"] = options.SiloNamespace },
            };
        }

        return new V1NetworkPolicy
        {
            ApiVersion = "networking.k8s.io/v1",
            Kind = "NetworkPolicy",
            Metadata = new V1ObjectMeta
            {
                Name = NetworkPolicyName,
                NamespaceProperty = options.Namespace,
                Labels = new Dictionary<string, string>(CommonLabels),
            },
            Spec = new V1NetworkPolicySpec
            {
                PodSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string>(CommonLabels) },
                PolicyTypes = ["Ingress"],
                Ingress =
                [
                    new V1NetworkPolicyIngressRule
                    {
                        FromProperty = [peer],
                        Ports = [new V1NetworkPolicyPort { Protocol = "TCP", Port = options.SidecarPort }],
                    },
                ],
            },
        };
    }

    /// <summary>Ready: the Ready condition is True, the pod has an IP and is not being deleted.</summary>
    public static bool IsReady(V1Pod pod) =>
        pod.Metadata?.DeletionTimestamp is null
        && pod.Status?.Phase == "Running"
        && !string.IsNullOrEmpty(pod.Status.PodIP)
        && pod.Status.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true;

    /// <summary>How the runtime reports a pod to the grains.</summary>
    public static WorkspaceRuntimeStatus StatusOf(V1Pod pod)
    {
        if (pod.Metadata?.DeletionTimestamp is not null)
        {
            return new WorkspaceRuntimeStatus(WorkspaceRuntimeState.Exited, $"pod {pod.Metadata.Name} is being deleted");
        }

        return pod.Status?.Phase switch
        {
            "Running" => new WorkspaceRuntimeStatus(WorkspaceRuntimeState.Running),
            "Failed" or "Succeeded" => new WorkspaceRuntimeStatus(WorkspaceRuntimeState.Exited, Describe(pod)),
            "Unknown" => new WorkspaceRuntimeStatus(WorkspaceRuntimeState.Exited, "pod phase Unknown (its node stopped reporting)"),
            _ => new WorkspaceRuntimeStatus(WorkspaceRuntimeState.Starting, Describe(pod)),
        };
    }

    /// <summary>Phase, reason and message of the pod and the sidecar container's last state, for logs and errors.</summary>
    public static string Describe(V1Pod pod)
    {
        List<string> parts = [$"phase {pod.Status?.Phase ?? "?"}"];
        if (!string.IsNullOrEmpty(pod.Status?.Reason))
        {
            parts.Add($"reason {pod.Status.Reason}");
        }

        if (!string.IsNullOrEmpty(pod.Status?.Message))
        {
            parts.Add(pod.Status.Message);
        }

        var container = pod.Status?.ContainerStatuses?.FirstOrDefault(c => c.Name == ContainerName);
        if (container?.State?.Terminated is { } ended)
        {
            parts.Add($"sidecar exited with code {ended.ExitCode}{(string.IsNullOrEmpty(ended.Reason) ? "" : $" ({ended.Reason})")}");
        }
        else if (container?.State?.Waiting is { } waiting)
        {
            parts.Add($"sidecar waiting: {waiting.Reason}{(string.IsNullOrEmpty(waiting.Message) ? "" : $" ({waiting.Message})")}");
        }

        return string.Join("; ", parts);
    }
}
