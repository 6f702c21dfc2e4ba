namespace Shadow.Sidecar.Terminal;

/// <summary>Settings of the Terminal feature (<c>Sidecar:Terminal:*</c>).</summary>
internal sealed class TerminalOptions
{
    /// <summary>Entries kept at most (default 10,000); the oldest go first.</summary>
    public int MaxEntries { get; set; } = 10_000;

    /// <summary>UTF-8 bytes of entry text kept at most (default 50 MB); whichever of the two limits is hit first applies.</summary>
    public long MaxBytes { get; set; } = 50L * 1024 * 1024;

    /// <summary>Whether the buffer is kept in the state folder so it survives a restart (default true).</summary>
    public bool Persist { get; set; } = true;

    /// <summary>Most entries one history page returns (default 10,000).</summary>
    public int MaxPageSize { get; set; } = 10_000;

    /// <summary>The page size a request asks for (default 1,000 or the maximum if smaller); 400 outside 1..<see cref="MaxPageSize"/>.</summary>
    public int PageSize(int? limit)
    {
        var count = limit ?? Math.Min(1000, MaxPageSize);
        return count >= 1 && count <= MaxPageSize
            ? count
            : throw Hosting.SidecarException.BadRequest($"'limit' must be between 1 and {MaxPageSize} (is {count}).");
    }

    public IEnumerable<string> Validate()
    {
        if (MaxEntries is < 2 or > 10_000_000)
        {
            yield return $"Sidecar:Terminal:MaxEntries must be between 2 and 10,000,000 (is {MaxEntries}).";
        }

        if (MaxBytes is < 64 * 1024 or > 16L * 1024 * 1024 * 1024)
        {
            yield return $"Sidecar:Terminal:MaxBytes must be between 65536 and 17179869184 (is {MaxBytes}).";
        }

        if (MaxPageSize is < 1 or > 1_000_000)
        {
            yield return $"Sidecar:Terminal:MaxPageSize must be between 1 and 1,000,000 (is {MaxPageSize}).";
        }
    }
}
