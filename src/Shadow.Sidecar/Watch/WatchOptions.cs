namespace Shadow.Sidecar.Watch;

/// <summary>Settings of the Watch feature (<c>Sidecar:Watch:*</c>).</summary>
internal sealed class WatchOptions
{
    /// <summary>Folder names ignored when <see cref="IgnoredFolders"/> is not configured.</summary>
    public static readonly string[] DefaultIgnoredFolders =
        ["node_modules", "bin", "obj", "dist", "build", "target", "out", ".next", ".nuxt", ".turbo", ".cache", ".venv", "__pycache__", ".gradle", ".idea", ".vs"];

    /// <summary>Whether the watcher starts with the sidecar (default true).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Quiet time per path before its event is recorded; bursts on one path collapse into one event (default 100 ms).</summary>
    public int DebounceMilliseconds { get; set; } = 100;

    /// <summary>Folder names (at any depth) whose contents are never reported, replacing the defaults. <c>.git</c> is always ignored.</summary>
    public string[]? IgnoredFolders { get; set; }

    /// <summary>Events kept for replay (default 10,000); the oldest go first.</summary>
    public int MaxEvents { get; set; } = 10_000;

    /// <summary>Events queued per SSE reader before it is considered slow and resumes from the buffer (default 1,024).</summary>
    public int SubscriberQueueSize { get; set; } = 1024;

    /// <summary>The kernel-side event buffer of the file system watcher in bytes (default 64 KiB, the maximum).</summary>
    public int InternalBufferSize { get; set; } = 64 * 1024;

    /// <summary>The effective ignored folder names, <c>.git</c> first.</summary>
    public IReadOnlyList<string> EffectiveIgnoredFolders =>
        [".git", .. (IgnoredFolders ?? DefaultIgnoredFolders).Select(f => f.Trim().Trim('/')).Where(f => f.Length > 0 && f != ".git").Distinct(StringComparer.Ordinal)];

    public IEnumerable<string> Validate()
    {
        if (DebounceMilliseconds is < 0 or > 60_000)
        {
            yield return $"Sidecar:Watch:DebounceMilliseconds must be between 0 and 60000 (got {DebounceMilliseconds}).";
        }

        if (MaxEvents is < 16 or > 10_000_000)
        {
            yield return $"Sidecar:Watch:MaxEvents must be between 16 and 10000000 (got {MaxEvents}).";
        }

        if (SubscriberQueueSize is < 1 or > 1_000_000)
        {
            yield return $"Sidecar:Watch:SubscriberQueueSize must be between 1 and 1000000 (got {SubscriberQueueSize}).";
        }

        if (InternalBufferSize is < 4096 or > 64 * 1024)
        {
            yield return $"Sidecar:Watch:InternalBufferSize must be between 4096 and 65536 bytes (got {InternalBufferSize}).";
        }

        if (IgnoredFolders is not null && IgnoredFolders.Any(f => f.Contains('/', StringComparison.Ordinal) || f.Contains('\\', StringComparison.Ordinal)))
        {
            yield return "Sidecar:Watch:IgnoredFolders takes folder names (e.g. node_modules), not paths.";
        }
    }
}
