using System.Text.Json.Serialization;

namespace Shadow.Sidecar.Contracts.Terminal;

/// <summary>Where a terminal entry came from.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<TerminalStream>))]
public enum TerminalStream
{
    /// <summary>A command's standard output.</summary>
    [JsonStringEnumMemberName("stdout")]
    Stdout,

    /// <summary>A command's standard error.</summary>
    [JsonStringEnumMemberName("stderr")]
    Stderr,

    /// <summary>Written by the sidecar itself: a command started or exited.</summary>
    [JsonStringEnumMemberName("system")]
    System,

    /// <summary>Entries were lost here (evicted from the full buffer, or cleared); <see cref="TerminalEntry.Dropped"/> says how many.</summary>
    [JsonStringEnumMemberName("gap")]
    Gap,
}
