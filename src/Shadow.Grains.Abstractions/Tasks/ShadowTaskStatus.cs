namespace Shadow.Grains.Abstractions.Tasks;

/// <summary>Where a task is in its life (design section 2); lower-case on the wire.</summary>
[GenerateSerializer]
public enum ShadowTaskStatus
{
    /// <summary>The workspace is being prepared (init steps run).</summary>
    Initializing,
    /// <summary>A turn is running.</summary>
    Running,
    /// <summary>Waiting for a follow-up.</summary>
    Idle,
    /// <summary>Done.</summary>
    Completed,
    /// <summary>An init step or a turn failed; see <see cref="TaskSnapshot.Error"/>.</summary>
    Failed,
    /// <summary>Stopped by the user.</summary>
    Stopped,
    /// <summary>Workspace destroyed; branch and history kept.</summary>
    Archived,
}
