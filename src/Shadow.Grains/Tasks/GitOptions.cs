namespace Shadow.Grains.Tasks;

/// <summary>Which remotes tasks may use (<c>Shadow:Git</c>).</summary>
public sealed class GitOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Shadow:Git";

    /// <summary>
    /// Whether a task may clone a repository on the server's own disk (a path or <c>file://</c>). On by default for the
    /// single-host embedded default; turn it off where several users share one Shadow. Never inside <c>Shadow:DataDir</c>.
    /// </summary>
    public bool AllowLocalRemotes { get; set; } = true;
}
