namespace Shadow.Grains.Runtime;

/// <summary>An instance a runtime runs, as <see cref="IWorkspaceRuntime.ListInstancesAsync"/> lists it for the orphan reconciler.</summary>
/// <param name="InstanceId">The runtime's id of the instance (what <see cref="WorkspaceHandle.InstanceId"/> holds).</param>
/// <param name="TaskId">The task the instance was provisioned for.</param>
/// <param name="CreatedAt">When the runtime created it, when known (young instances may still be on their way to their grain).</param>
[GenerateSerializer, Immutable, Alias("shadow.runtime.instance")]
public sealed record WorkspaceInstance(string InstanceId, string TaskId, DateTimeOffset? CreatedAt);
