using System.ComponentModel.DataAnnotations;

namespace Shadow.Grains.Terminals;

/// <summary>The bounded buffers the feed grains keep in their state (<c>Shadow:Feeds</c>).</summary>
public sealed class FeedOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Shadow:Feeds";

    /// <summary>Terminal entries a task keeps; older ones go (a reader behind them gets a gap marker).</summary>
    [Range(10, 1_000_000)]
    public int TerminalMaxEntries { get; set; } = 10_000;

    /// <summary>Bytes of terminal text a task keeps.</summary>
    [Range(1024, 1L << 30)]
    public long TerminalMaxBytes { get; set; } = 16L << 20;

    /// <summary>File-change events a task keeps.</summary>
    [Range(10, 1_000_000)]
    public int ChangesMaxEntries { get; set; } = 10_000;

    /// <summary>How often a feed that received entries writes its state.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:10:00")]
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>First delay before following a sidecar again after its stream broke (doubles up to 10 s).</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromMilliseconds(200);
}
