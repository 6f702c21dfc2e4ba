namespace Shadow.Grains.Terminals;

/// <summary>What a feed grain keeps in storage: its bounded buffer and its cursor in the sidecar it follows.</summary>
/// <typeparam name="T">The entry type.</typeparam>
[GenerateSerializer, Alias("shadow.feed-state`1")]
public sealed class FeedState<T>
{
    /// <summary>Oldest first; seq numbers are the grain's own, contiguous.</summary>
    [Id(0)] public List<T> Entries { get; set; } = [];
    [Id(1)] public long LastSeq { get; set; }
    [Id(2)] public long Dropped { get; set; }
    /// <summary>The sidecar instance the cursor belongs to.</summary>
    [Id(3)] public string? InstanceId { get; set; }
    /// <summary>The last seq received from that instance (its own numbering).</summary>
    [Id(4)] public long SidecarSeq { get; set; }
    [Id(5)] public long Bytes { get; set; }
}
