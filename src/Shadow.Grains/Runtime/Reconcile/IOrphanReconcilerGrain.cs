namespace Shadow.Grains.Runtime.Reconcile;

/// <summary>
/// The one reconciler of the cluster (key <see cref="Key"/>): a reminder wakes it to delete the workspace instances whose task is
/// gone or archived, or that no workspace holds any more. Internal to the silo.
/// </summary>
[Alias("shadow.orphan-reconciler")]
public interface IOrphanReconcilerGrain : IGrainWithStringKey
{
    /// <summary>The grain's only key.</summary>
    const string Key = "cluster";

    /// <summary>Registers the reminder (idempotent); every silo calls it on start.</summary>
    Task StartAsync(CancellationToken cancellationToken = default);

    /// <summary>One pass now: lists the runtime's instances and deletes the orphans.</summary>
    [ResponseTimeout("00:05:00")]
    Task<ReconcileReport> ReconcileAsync(CancellationToken cancellationToken = default);
}
