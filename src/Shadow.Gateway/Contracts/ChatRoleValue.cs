using System.Text.Json.Serialization;

namespace Shadow.Gateway.Contracts;

/// <summary>Who wrote a chat message, on the wire.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ChatRoleValue>))]
public enum ChatRoleValue
{
    /// <summary>The user.</summary>
    [JsonStringEnumMemberName("user")]
    User,

    /// <summary>The agent.</summary>
    [JsonStringEnumMemberName("assistant")]
    Assistant,

    /// <summary>A tool result.</summary>
    [JsonStringEnumMemberName("tool")]
    Tool,

    /// <summary>Shadow itself.</summary>
    [JsonStringEnumMemberName("system")]
    System,
}
