using Shadow.Sidecar.Contracts.Files;

namespace Shadow.Grains.Tests.Storage;

/// <summary>Grain state for the storage tests: a generated-serializer type that also carries a sidecar contract (JSON codec).</summary>
[GenerateSerializer, Alias("shadow.tests.probe-state")]
public sealed class ProbeState
{
    [Id(0)]
    public string Text { get; set; } = "";

    [Id(1)]
    public int Count { get; set; }

    [Id(2)]
    public FileEntry? Entry { get; set; }
}
