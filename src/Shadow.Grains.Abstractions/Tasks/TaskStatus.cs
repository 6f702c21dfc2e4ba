namespace Shadow.Grains.Abstractions.Tasks;

/// <summary>Where a task is in its life (design section 2).</summary>
[GenerateSerializer]
public enum ShadowTaskStatus
{
    /// <summary>The workspace is being prepared.</summary>
    Initializing,
    /// <summary>A turn is running.</summary>
    Running,
    /// <summary>Waiting for a follow-up.</summary>
    Idle,
    /// <summary>Done.</summary>
    Completed,
    /// <summary>An init step or a turn failed.</summary>
    Failed,
    /// <summary>Stopped by the user.</summary>
    Stopped,
    /// <summary>Workspace destroyed; branch and history kept.</summary>
    Archived,
}
