namespace Shadow.Grains.Runtime.Local;

/// <summary>
/// Finds the <c>Shadow.Sidecar</c> program to start: an explicit path, else next to the host's own assembly, else the build
/// output of the Shadow checkout the host runs from (a Native AOT publish preferred over the JIT build). The one piece of code
/// that knows these places: the local runtime uses it, and <c>test/Shadow.Testing</c> compiles this same file (a linked
/// source, so the test harness does not reference the grains) to find the freshly built sidecar.
/// </summary>
internal static class SidecarLocator
{
    /// <summary>The setting that overrides the search.</summary>
    public const string SettingName = "Shadow:Runtime:Local:SidecarPath";

    /// <summary>The sidecar's assembly and program name.</summary>
    public const string ProgramName = "Shadow.Sidecar";

    private const string SolutionFile = "Shadow.sln";

    // The build configuration of whoever compiles this file goes first (a Debug test run wants the Debug sidecar).
#if DEBUG
    private static readonly string[] Configurations = ["debug", "release"];
#else
    private static readonly string[] Configurations = ["release", "debug"];
#endif

    /// <summary>
    /// <paramref name="configuredPath"/> when set (it must exist), else the first sidecar found from
    /// <paramref name="baseDirectory"/>; throws <see cref="FileNotFoundException"/> naming <see cref="SettingName"/>.
    /// </summary>
    public static string Locate(string? configuredPath, string baseDirectory)
    {
        if (!string.IsNullOrWhiteSpace(configuredPath))
        {
            var full = Path.GetFullPath(configuredPath);
            return File.Exists(full)
                ? full
                : throw new FileNotFoundException(
                    $"{SettingName} '{configuredPath}' does not exist; point it at a Native AOT {ProgramName} binary or at {ProgramName}.dll.", full);
        }

        return TryLocate(baseDirectory) ?? throw new FileNotFoundException(
            $"Cannot find {ProgramName}: it is not next to the host ({baseDirectory}) and there is no build output under artifacts/ of a " +
            $"Shadow checkout above it. Set {SettingName} to a Native AOT {ProgramName} binary or to {ProgramName}.dll.");
    }

    /// <summary>Next to <paramref name="baseDirectory"/>, else in the checkout above it (AOT publish first); null when nowhere.</summary>
    public static string? TryLocate(string baseDirectory) =>
        NextTo(baseDirectory)
        ?? (FindRepositoryRoot(baseDirectory) is { } root ? FindAotPublish(root) ?? FindBuildOutput(root) : null);

    /// <summary>A runnable <c>Shadow.Sidecar.dll</c> (with its runtimeconfig) or a lone native binary in <paramref name="directory"/>.</summary>
    public static string? NextTo(string directory)
    {
        var dll = Path.Combine(directory, ProgramName + ".dll");
        if (File.Exists(dll))
        {
            // A referenced assembly copied without its runtimeconfig cannot be run.
            return File.Exists(Path.Combine(directory, ProgramName + ".runtimeconfig.json")) ? dll : null;
        }

        var native = Path.Combine(directory, ProgramName);
        return File.Exists(native) ? native : null;
    }

    /// <summary>The nearest folder at or above <paramref name="start"/> that holds <c>Shadow.sln</c>.</summary>
    public static string? FindRepositoryRoot(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, SolutionFile)))
            {
                return dir.FullName;
            }
        }

        return null;
    }

    /// <summary><c>artifacts/bin/Shadow.Sidecar/&lt;config&gt;/Shadow.Sidecar.dll</c> of the checkout, this build's configuration first.</summary>
    public static string? FindBuildOutput(string repositoryRoot) =>
        Configurations
            .Select(c => Path.Combine(repositoryRoot, "artifacts", "bin", ProgramName, c, ProgramName + ".dll"))
            .FirstOrDefault(File.Exists);

    /// <summary>The newest Native AOT binary under <c>artifacts/publish/Shadow.Sidecar/*/</c> (a folder without the .dll).</summary>
    public static string? FindAotPublish(string repositoryRoot)
    {
        var publish = Path.Combine(repositoryRoot, "artifacts", "publish", ProgramName);
        if (!Directory.Exists(publish))
        {
            return null;
        }

        return Directory.EnumerateDirectories(publish)
            .Select(d => Path.Combine(d, ProgramName))
            .Where(p => File.Exists(p) && !File.Exists(p + ".dll"))
            .OrderByDescending(File.GetLastWriteTimeUtc)
            .FirstOrDefault();
    }

    /// <summary>Whether <paramref name="path"/> is an assembly to run with <c>dotnet</c> (else a native binary).</summary>
    public static bool IsAssembly(string path) => path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase);

    /// <summary>The <c>dotnet</c> host for a .dll: the one running this process, else <c>DOTNET_HOST_PATH</c>, else <c>dotnet</c> on PATH.</summary>
    public static string DotnetHost()
    {
        if (Environment.ProcessPath is { } self && string.Equals(Path.GetFileNameWithoutExtension(self), "dotnet", StringComparison.Ordinal))
        {
            return self;
        }

        return Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
    }
}
