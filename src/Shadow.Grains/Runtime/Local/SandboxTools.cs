namespace Shadow.Grains.Runtime.Local;

/// <summary>Finds the programs a command sandbox needs on PATH.</summary>
internal static class SandboxTools
{
    /// <summary>The kinds <see cref="LocalRuntimeOptions.Sandbox"/> accepts.</summary>
    public static readonly string[] Kinds = ["Bubblewrap", "GVisor", "None"];

    /// <summary>The first executable <paramref name="name"/> on PATH, or null.</summary>
    public static string? Find(string name)
    {
        var path = Environment.GetEnvironmentVariable("PATH") is { Length: > 0 } p ? p : "/usr/local/bin:/usr/bin:/bin";
        foreach (var dir in path.Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate) && !OperatingSystem.IsWindows()
                && (File.GetUnixFileMode(candidate) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0)
            {
                return candidate;
            }
        }

        return null;
    }
}
