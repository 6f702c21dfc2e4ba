namespace Shadow.Grains.Tests.Runtime.MicroVm;

/// <summary>The microVM tests share one prepared silo (<see cref="MicroVmClusterFixture"/>) and run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class MicroVmCollection : ICollectionFixture<MicroVmClusterFixture>
{
    public const string Name = "microvm";
}
