using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Shadow.Grains.Abstractions.Errors;
using Shadow.Grains.Abstractions.Tasks;
using Shadow.Grains.Abstractions.Workspaces;

namespace Shadow.Grains.Runtime.Reconcile;

/// <summary>
/// Deletes the instances nobody owns: those whose task was never created (or is gone), whose task is archived, and, once older
/// than <see cref="OrphanReconcilerOptions.MinimumAge"/>, those that are not their workspace's current instance (left by a silo
/// that died mid-provision). Generic over <see cref="IWorkspaceRuntime.ListInstancesAsync"/>; a runtime that lists nothing makes
/// every pass a no-op.
/// </summary>
public sealed partial class OrphanReconcilerGrain(
    IWorkspaceRuntime runtime,
    IOptions<OrphanReconcilerOptions> options,
    TimeProvider time,
    ILogger<OrphanReconcilerGrain> logger) : Grain, IOrphanReconcilerGrain, IRemindable
{
    internal const string ReminderName = "orphan-reconcile";

    private readonly OrphanReconcilerOptions _options = options.Value;

    async Task IOrphanReconcilerGrain.StartAsync(CancellationToken cancellationToken)
    {
        if (_options.Enabled)
        {
            await this.RegisterOrUpdateReminder(ReminderName, _options.Interval, _options.Interval);
        }
    }

    Task<ReconcileReport> IOrphanReconcilerGrain.ReconcileAsync(CancellationToken cancellationToken) => ReconcileAsync(cancellationToken);

    async Task IRemindable.ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != ReminderName)
        {
            return;
        }

        try
        {
            await ReconcileAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The next tick tries again; a reminder callback that throws only logs in Orleans anyway.
            LogWarningPassFailed(e, runtime.Kind);
        }
    }

    private async Task<ReconcileReport> ReconcileAsync(CancellationToken cancellationToken)
    {
        var instances = await runtime.ListInstancesAsync(cancellationToken);
        List<DeletedInstance> deleted = [];
        foreach (var instance in instances)
        {
            var reason = await OrphanReasonAsync(instance, cancellationToken);
            if (reason is null)
            {
                continue;
            }

            await runtime.DeleteAsync(new WorkspaceHandle(instance.InstanceId, new Uri("http://127.0.0.1/"), "-", Reattached: false), deleteStorage: true, cancellationToken);
            LogInformationDeleted(instance.InstanceId, instance.TaskId, reason);
            deleted.Add(new DeletedInstance(instance.InstanceId, instance.TaskId, reason));
        }

        return new ReconcileReport(instances.Count, deleted);
    }

    private async Task<string?> OrphanReasonAsync(WorkspaceInstance instance, CancellationToken cancellationToken)
    {
        TaskSnapshot task;
        try
        {
            task = await GrainFactory.GetGrain<ITaskGrain>(instance.TaskId).GetAsync(cancellationToken);
        }
        catch (TaskNotFoundException)
        {
            return $"task {instance.TaskId} does not exist";
        }

        if (task.Status == ShadowTaskStatus.Archived)
        {
            return $"task {instance.TaskId} is archived";
        }

        var old = instance.CreatedAt is { } created && time.GetUtcNow() - created >= _options.MinimumAge;
        if (!old)
        {
            return null;
        }

        var workspace = await GrainFactory.GetGrain<IWorkspaceGrain>(instance.TaskId).GetInfoAsync(cancellationToken);
        return workspace.InstanceId == instance.InstanceId
            ? null
            : $"workspace {instance.TaskId} runs on {(workspace.InstanceId is null ? "no instance" : $"instance {workspace.InstanceId}")}, not on this one";
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Orphaned workspace instance {InstanceId} (task {TaskId}) deleted: {Reason}")]
    private partial void LogInformationDeleted(string instanceId, string taskId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "An orphan reconcile pass over the {RuntimeKind} runtime failed")]
    private partial void LogWarningPassFailed(Exception exception, string runtimeKind);
}
