using System.Runtime.CompilerServices;

namespace Shadow.Grains.Tests.Runtime.Kubernetes;

/// <summary>A test that runs against a REAL cluster when <c>SHADOW_E2E_K8S</c> is set, and is skipped, saying so, otherwise.</summary>
public sealed class KubernetesFactAttribute : FactAttribute
{
    public const string Variable = "SHADOW_E2E_K8S";

    public KubernetesFactAttribute([CallerFilePath] string? sourceFilePath = null, [CallerLineNumber] int sourceLineNumber = -1)
        : base(sourceFilePath, sourceLineNumber)
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(Variable)))
        {
            Skip = $"No Kubernetes cluster: set {Variable}=1 (with KUBECONFIG, SHADOW_E2E_K8S_IMAGE = a pushed sidecar image, and optionally " +
                "SHADOW_E2E_K8S_NAMESPACE) to run this against a real cluster; CI runs the same runtime against the simulated API server.";
        }
    }
}
