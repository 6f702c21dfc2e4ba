namespace Shadow.Kubernetes.Simulation;

/// <summary>How the simulated kubelet runs containers.</summary>
public sealed class KubeletOptions
{
    /// <summary>Where pods' emptyDir volumes live on the host.</summary>
    public required string RootDirectory { get; init; }

    /// <summary>
    /// The program that stands in for every container image: the sidecar's build output (<c>Shadow.Sidecar.dll</c>, run with
    /// <c>dotnet</c>) or a Native AOT binary. The simulation has no container engine, so the image name only labels the process.
    /// </summary>
    public required string ProgramPath { get; init; }

    /// <summary>
    /// Probe every this often instead of the pod's <c>periodSeconds</c> (a simulation speed knob for tests; null honours the spec).
    /// </summary>
    public TimeSpan? ProbePeriodOverride { get; init; }

    /// <summary>The node name pods are bound to.</summary>
    public string NodeName { get; init; } = "sim-node-1";
}
