using Shadow.Testing;

namespace Shadow.Sidecar.Tests.Files;

/// <summary>A real sidecar started with small limits, to reach the 413 and truncation paths with small files.</summary>
public sealed class LimitedSidecarFixture : SidecarFixture
{
    public const int MaxReadBytes = 1024;
    public const int MaxListEntries = 3;
    public const int ListRecursiveMaxEntries = 5;
    public const int GrepTimeoutMilliseconds = 1000;
    public const int MaxGrepFileBytes = 4096;

    protected override string[] ExtraArgs =>
    [
        $"--Sidecar:Files:MaxReadBytes={MaxReadBytes}",
        $"--Sidecar:Files:MaxListEntries={MaxListEntries}",
        $"--Sidecar:Files:ListRecursiveDefaultEntries={ListRecursiveMaxEntries}",
        $"--Sidecar:Files:ListRecursiveMaxEntries={ListRecursiveMaxEntries}",
        $"--Sidecar:Search:GrepTimeoutMillisecondsPerFile={GrepTimeoutMilliseconds}",
        $"--Sidecar:Search:MaxGrepFileBytes={MaxGrepFileBytes}",
    ];
}
