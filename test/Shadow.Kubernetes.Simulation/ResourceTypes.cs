namespace Shadow.Kubernetes.Simulation;

/// <summary>The resources the simulated API server serves, with their group/version and kinds.</summary>
internal static class ResourceTypes
{
    public sealed record Type(string Resource, string ApiVersion, string Kind);

    private static readonly Dictionary<(string Group, string Resource), Type> Known = new()
    {
        [("", "pods")] = new("pods", "v1", "Pod"),
        [("", "secrets")] = new("secrets", "v1", "Secret"),
        [("", "configmaps")] = new("configmaps", "v1", "ConfigMap"),
        [("networking.k8s.io", "networkpolicies")] = new("networkpolicies", "networking.k8s.io/v1", "NetworkPolicy"),
    };

    public static Type Resolve(string group, string version, string resource) =>
        Known.TryGetValue((group, resource), out var type) && type.ApiVersion == (group.Length == 0 ? version : $"{group}/{version}")
            ? type
            : throw new ApiException(404, "NotFound", $"the server could not find the requested resource ({(group.Length == 0 ? "" : group + "/")}{version}, {resource})");
}
