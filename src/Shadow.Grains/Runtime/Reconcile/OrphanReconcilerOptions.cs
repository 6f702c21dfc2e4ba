using System.ComponentModel.DataAnnotations;

namespace Shadow.Grains.Runtime.Reconcile;

/// <summary>How often orphaned workspace instances are looked for (<c>Shadow:Runtime:Reconcile:*</c>).</summary>
public sealed class OrphanReconcilerOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "Shadow:Runtime:Reconcile";

    /// <summary>Whether the reconciler's reminder is registered at all.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The period of the reconcile reminder (Orleans reminders tick at most once a minute).</summary>
    [Range(typeof(TimeSpan), "00:01:00", "1.00:00:00", ErrorMessage = SectionName + ":Interval must be between 1 minute and 1 day.")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How old an instance must be before it counts as an orphan for not being its workspace's current instance (a younger one
    /// may be on its way to its grain). Keep it above the runtime's ready timeout. Instances of gone or archived tasks go at once.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00", ErrorMessage = SectionName + ":MinimumAge must be between 0 and 1 day.")]
    public TimeSpan MinimumAge { get; set; } = TimeSpan.FromMinutes(10);
}
