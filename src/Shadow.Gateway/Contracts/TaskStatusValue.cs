using System.Text.Json.Serialization;

namespace Shadow.Gateway.Contracts;

/// <summary>A task's status on the wire (lower-case).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<TaskStatusValue>))]
public enum TaskStatusValue
{
    /// <summary>Init steps are running.</summary>
    [JsonStringEnumMemberName("initializing")]
    Initializing,

    /// <summary>A turn is running.</summary>
    [JsonStringEnumMemberName("running")]
    Running,

    /// <summary>Waiting for a follow-up.</summary>
    [JsonStringEnumMemberName("idle")]
    Idle,

    /// <summary>Done.</summary>
    [JsonStringEnumMemberName("completed")]
    Completed,

    /// <summary>An init step or a turn failed.</summary>
    [JsonStringEnumMemberName("failed")]
    Failed,

    /// <summary>Stopped by the user.</summary>
    [JsonStringEnumMemberName("stopped")]
    Stopped,

    /// <summary>Workspace destroyed; branch and history kept.</summary>
    [JsonStringEnumMemberName("archived")]
    Archived,
}
