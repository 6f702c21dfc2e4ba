namespace Shadow.Grains.Runtime.Reconcile;

/// <summary>What one reconcile pass saw and did.</summary>
/// <param name="Listed">How many instances the runtime listed.</param>
/// <param name="Deleted">The instances deleted, each with why.</param>
[GenerateSerializer, Immutable, Alias("shadow.runtime.reconcile-report")]
public sealed record ReconcileReport(int Listed, IReadOnlyList<DeletedInstance> Deleted);

/// <summary>An orphan the reconciler deleted.</summary>
/// <param name="InstanceId">The runtime's instance id.</param>
/// <param name="TaskId">The task it was provisioned for.</param>
/// <param name="Reason">Why it was an orphan.</param>
[GenerateSerializer, Immutable, Alias("shadow.runtime.deleted-instance")]
public sealed record DeletedInstance(string InstanceId, string TaskId, string Reason);
