namespace Shadow.Grains.Abstractions.Tasks;

/// <summary>The init steps of a task, in the order they run (design section 2).</summary>
[GenerateSerializer]
public enum InitStepKind
{
    /// <summary>Record the workspace's spec (repository, branches) with its grain.</summary>
    PrepareWorkspace,
    /// <summary>Provision the workspace through the runtime (spawn a sidecar, create a pod or a VM).</summary>
    CreateWorkspace,
    /// <summary>Wait until the workspace's sidecar answers its health check.</summary>
    WaitSidecarReady,
    /// <summary>Clone the repository at the base branch into the workspace.</summary>
    CloneRepository,
    /// <summary>Create <c>shadow/task-{id}</c> from the base branch and push it.</summary>
    CreateShadowBranch,
    /// <summary>The workspace is ready for tool calls.</summary>
    Active,
}
