using System.ComponentModel.DataAnnotations;

namespace Shadow.Grains.Hosting;

/// <summary>Settings shared by every part of a Shadow host (<c>Shadow:*</c>).</summary>
public sealed class ShadowOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Shadow";

    /// <summary>The embedded default's data folder (grain state, reminders, local workspaces); relative paths are taken from the current folder.</summary>
    [Required(AllowEmptyStrings = false)]
    public string DataDir { get; set; } = "./.shadow-data";

    /// <summary><see cref="DataDir"/> as a full path.</summary>
    public string DataDirFullPath => Path.GetFullPath(DataDir);
}
