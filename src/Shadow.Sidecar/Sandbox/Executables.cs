namespace Shadow.Sidecar.Sandbox;

/// <summary>Finds programs on PATH.</summary>
internal static class Executables
{
    /// <summary>
    /// <paramref name="configured"/> when set and executable, else the first <paramref name="name"/> on PATH that is
    /// executable; null when there is none.
    /// </summary>
    public static string? Find(string name, string? configured = null)
    {
        if (!string.IsNullOrEmpty(configured))
        {
            return IsExecutable(configured) ? Path.GetFullPath(configured) : null;
        }

        var path = Environment.GetEnvironmentVariable("PATH") is { Length: > 0 } p ? p : "/usr/local/bin:/usr/bin:/bin";
        foreach (var dir in path.Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, name);
            if (IsExecutable(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static bool IsExecutable(string path) =>
        File.Exists(path) && !OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
}
