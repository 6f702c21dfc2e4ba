namespace Shadow.Grains.Runtime.MicroVm;

/// <summary>Finds a program the way a shell would: a path as given, a bare name on <c>PATH</c>.</summary>
internal static class ExecutableSearch
{
    /// <summary>The full path of <paramref name="program"/>, or null when it is not an executable file.</summary>
    public static string? Find(string program)
    {
        if (program.Contains('/', StringComparison.Ordinal))
        {
            return IsExecutable(program) ? Path.GetFullPath(program) : null;
        }

        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, program);
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
