namespace Shadow.Testing;

/// <summary>Finds running sidecar processes through <c>/proc</c> by a fragment of their command line (a workspace or data folder).</summary>
public static class SidecarProcessScan
{
    /// <summary>Pids of the <c>Shadow.Sidecar</c> processes whose command line contains <paramref name="fragment"/>.</summary>
    public static List<int> Matching(string fragment) =>
        [.. Directory.EnumerateDirectories("/proc")
            .Select(d => int.TryParse(System.IO.Path.GetFileName(d), out var pid) ? pid : 0)
            .Where(pid => pid > 0 && CommandLine(pid) is { } cmd && cmd.Contains("Shadow.Sidecar", StringComparison.Ordinal) && cmd.Contains(fragment, StringComparison.Ordinal))];

    private static string? CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
