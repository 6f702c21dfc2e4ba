using System.Text.Json.Serialization;

namespace Shadow.Gateway.Contracts;

/// <summary>An init step's name on the wire.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<InitStepValue>))]
public enum InitStepValue
{
    /// <summary>Record the workspace's spec.</summary>
    [JsonStringEnumMemberName("prepareWorkspace")]
    PrepareWorkspace,

    /// <summary>Provision the workspace.</summary>
    [JsonStringEnumMemberName("createWorkspace")]
    CreateWorkspace,

    /// <summary>Wait for the sidecar's health check.</summary>
    [JsonStringEnumMemberName("waitSidecarReady")]
    WaitSidecarReady,

    /// <summary>Clone the repository.</summary>
    [JsonStringEnumMemberName("cloneRepository")]
    CloneRepository,

    /// <summary>Create and push the shadow branch.</summary>
    [JsonStringEnumMemberName("createShadowBranch")]
    CreateShadowBranch,

    /// <summary>Ready for tool calls.</summary>
    [JsonStringEnumMemberName("active")]
    Active,
}

/// <summary>Where an init step is, on the wire.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<InitStepStatusValue>))]
public enum InitStepStatusValue
{
    /// <summary>Not started yet.</summary>
    [JsonStringEnumMemberName("pending")]
    Pending,

    /// <summary>Started, not finished.</summary>
    [JsonStringEnumMemberName("running")]
    Running,

    /// <summary>Finished without error.</summary>
    [JsonStringEnumMemberName("succeeded")]
    Succeeded,

    /// <summary>Finished with an error.</summary>
    [JsonStringEnumMemberName("failed")]
    Failed,
}
