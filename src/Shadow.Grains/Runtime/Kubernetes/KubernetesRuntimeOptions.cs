namespace Shadow.Grains.Runtime.Kubernetes;

/// <summary>How workspace pods are made (<c>Shadow:Runtime:Kubernetes:*</c>); checked by <see cref="KubernetesRuntimeOptionsValidator"/>.</summary>
public sealed class KubernetesRuntimeOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "Shadow:Runtime:Kubernetes";

    /// <summary>The namespace workspace pods, their token Secrets and the NetworkPolicy live in.</summary>
    public string Namespace { get; set; } = "shadow-workspaces";

    /// <summary>The sidecar image every workspace pod runs (built from <c>src/Shadow.Sidecar/Dockerfile</c>). Required.</summary>
    public string Image { get; set; } = "";

    /// <summary><c>Always</c>, <c>IfNotPresent</c> (default) or <c>Never</c>.</summary>
    public string ImagePullPolicy { get; set; } = "IfNotPresent";

    /// <summary>An optional RuntimeClass for the pods (e.g. <c>gvisor</c> or <c>kata</c>); empty: the cluster's default.</summary>
    public string? RuntimeClassName { get; set; }

    /// <summary>
    /// A kubeconfig file to reach the API server. Empty: the in-cluster service account when running in a pod
    /// (<c>KUBERNETES_SERVICE_HOST</c> set), else the default kubeconfig (<c>KUBECONFIG</c> or <c>~/.kube/config</c>).
    /// </summary>
    public string? KubeConfigPath { get; set; }

    /// <summary>The kubeconfig context to use; empty: its current context.</summary>
    public string? KubeConfigContext { get; set; }

    /// <summary>The port the sidecar listens on inside the pod; the silos reach it at the pod's IP on this port.</summary>
    public int SidecarPort { get; set; } = 8080;

    /// <summary>The sidecar container's CPU request (a Kubernetes quantity).</summary>
    public string CpuRequest { get; set; } = "250m";

    /// <summary>The sidecar container's CPU limit.</summary>
    public string CpuLimit { get; set; } = "2";

    /// <summary>The sidecar container's memory request.</summary>
    public string MemoryRequest { get; set; } = "256Mi";

    /// <summary>The sidecar container's memory limit.</summary>
    public string MemoryLimit { get; set; } = "2Gi";

    /// <summary>The size limit of the workspace's emptyDir (the pod is evicted when it grows past it).</summary>
    public string WorkspaceSizeLimit { get; set; } = "10Gi";

    /// <summary>The numeric user and group the sidecar runs as (never root).</summary>
    public long RunAsUser { get; set; } = 10001;

    /// <summary>How long a pod may take from creation to Ready (image pull, scheduling, sidecar start).</summary>
    public TimeSpan ReadyTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>The pod's termination grace period (the sidecar ends its commands and flushes within it).</summary>
    public int TerminationGracePeriodSeconds { get; set; } = 10;

    /// <summary>
    /// Whether the runtime makes sure the NetworkPolicy that lets only the silos reach workspace pods exists (creating it when
    /// missing). The Helm chart renders that policy itself and turns this off, so the silos need no rights on NetworkPolicies.
    /// </summary>
    public bool ManageNetworkPolicy { get; set; } = true;

    /// <summary>The labels (<c>key=value,key=value</c>) of the silo pods, the only pods the NetworkPolicy lets in.</summary>
    public string SiloPodSelector { get; set; } = "app.kubernetes.io/name=shadow,app.kubernetes.io/component=silo";

    /// <summary>The namespace the silos run in (for the NetworkPolicy); empty: the workspace namespace itself.</summary>
    public string? SiloNamespace { get; set; }
}
