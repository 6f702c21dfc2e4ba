using System.ComponentModel.DataAnnotations;

namespace Shadow.Grains.Workspaces;

/// <summary>How <see cref="WorkspaceGrain"/> watches and reclaims workspaces (<c>Shadow:Workspace</c>).</summary>
public sealed class WorkspaceOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Shadow:Workspace";

    /// <summary>How often a ready workspace's process and sidecar health are checked.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan HealthInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Consecutive failed health checks (process alive, sidecar not answering) before the workspace is re-provisioned.</summary>
    [Range(1, 100)]
    public int HealthFailuresBeforeRestore { get; set; } = 2;

    /// <summary>How long a new sidecar may take to answer its health check.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:30:00")]
    public TimeSpan ReadyTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>A workspace unused this long is reclaimed (its work saved to the shadow branch first) and comes back on its next use.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "30.00:00:00")]
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>The author of the commits Shadow makes itself.</summary>
    [Required(AllowEmptyStrings = false)]
    public string GitUserName { get; set; } = "Shadow";

    /// <summary>The author e-mail of the commits Shadow makes itself.</summary>
    [Required(AllowEmptyStrings = false)]
    public string GitUserEmail { get; set; } = "shadow@localhost";
}
