namespace Shadow.Kubernetes.Simulation;

/// <summary>One object's address in the simulated API: its resource (plural, e.g. <c>pods</c>), namespace and name.</summary>
public readonly record struct ResourceKey(string Resource, string Namespace, string Name)
{
    public override string ToString() => $"{Resource}/{Namespace}/{Name}";
}
