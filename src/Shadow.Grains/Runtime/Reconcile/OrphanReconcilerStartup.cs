using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace Shadow.Grains.Runtime.Reconcile;

/// <summary>Makes sure the reconciler's reminder exists once the silo is up (every silo asks; registering is idempotent).</summary>
internal sealed partial class OrphanReconcilerStartup(IGrainFactory grains, ILogger<OrphanReconcilerStartup> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(OrphanReconcilerStartup), ServiceLifecycleStage.Active, StartAsync);

    private async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await grains.GetGrain<IOrphanReconcilerGrain>(IOrphanReconcilerGrain.Key).StartAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Not fatal: orphans wait for the next silo start; workspaces themselves are unaffected.
            LogWarningStartFailed(e);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not register the orphan reconciler's reminder")]
    private partial void LogWarningStartFailed(Exception exception);
}
