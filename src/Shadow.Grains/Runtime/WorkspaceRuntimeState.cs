namespace Shadow.Grains.Runtime;

/// <summary>Where an instance is, as its runtime sees it.</summary>
[GenerateSerializer]
public enum WorkspaceRuntimeState
{
    /// <summary>Being created.</summary>
    Starting,
    /// <summary>Its process (pod, VM) runs.</summary>
    Running,
    /// <summary>Its process ended (crashed, was killed, was evicted).</summary>
    Exited,
    /// <summary>The runtime knows nothing of it (e.g. after a host restart, or deleted).</summary>
    NotFound,
}
