namespace Shadow.Sidecar.Files;

/// <summary>Settings of the Files feature (<c>Sidecar:Files:*</c>).</summary>
internal sealed class FilesOptions
{
    /// <summary>Largest file (or selected line range) <c>read</c> and <c>search-replace</c> handle; beyond it 413. Default 50 MiB.</summary>
    public long MaxReadBytes { get; set; } = 50L * 1024 * 1024;

    /// <summary>Most entries one <c>list</c> returns (then <c>truncated</c>). Default 10,000.</summary>
    public int MaxListEntries { get; set; } = 10_000;

    /// <summary>Entries <c>list-recursive</c> returns when the caller names no <c>maxEntries</c>. Default 5,000.</summary>
    public int ListRecursiveDefaultEntries { get; set; } = 5_000;

    /// <summary>Ceiling for <c>list-recursive</c>'s <c>maxEntries</c> (larger requests are clamped). Default 100,000.</summary>
    public int ListRecursiveMaxEntries { get; set; } = 100_000;

    /// <summary>
    /// fsync each written file before the rename. Off by default: the temp + rename already guarantees readers never see a
    /// partial file (even if the sidecar crashes); fsync only adds durability against a power loss, at a large latency cost.
    /// </summary>
    public bool FsyncOnWrite { get; set; }

    public IEnumerable<string> Validate()
    {
        if (MaxReadBytes < 1)
        {
            yield return "Sidecar:Files:MaxReadBytes must be at least 1.";
        }

        if (MaxReadBytes > int.MaxValue - 64)
        {
            yield return $"Sidecar:Files:MaxReadBytes must be at most {int.MaxValue - 64} (one in-memory buffer).";
        }

        if (MaxListEntries < 1)
        {
            yield return "Sidecar:Files:MaxListEntries must be at least 1.";
        }

        if (ListRecursiveMaxEntries < 1)
        {
            yield return "Sidecar:Files:ListRecursiveMaxEntries must be at least 1.";
        }

        if (ListRecursiveDefaultEntries < 1 || ListRecursiveDefaultEntries > ListRecursiveMaxEntries)
        {
            yield return "Sidecar:Files:ListRecursiveDefaultEntries must be between 1 and Sidecar:Files:ListRecursiveMaxEntries.";
        }
    }
}
