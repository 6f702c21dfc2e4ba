using System.Text.Json.Serialization;

namespace Shadow.Sidecar.Contracts.Files;

/// <summary>What a directory entry is; a symbolic link is reported as such, never as what it points at.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<FileEntryType>))]
public enum FileEntryType
{
    /// <summary>A regular file.</summary>
    [JsonStringEnumMemberName("file")]
    File,

    /// <summary>A directory.</summary>
    [JsonStringEnumMemberName("directory")]
    Directory,

    /// <summary>A symbolic link (not followed).</summary>
    [JsonStringEnumMemberName("symlink")]
    Symlink,

    /// <summary>Anything else (socket, FIFO, device).</summary>
    [JsonStringEnumMemberName("other")]
    Other,
}
