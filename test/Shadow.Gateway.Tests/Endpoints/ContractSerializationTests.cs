using Shadow.Grains.Abstractions.Serialization;
using Shadow.Grains.Abstractions.Terminals;
using Shadow.Grains.Abstractions.Workspaces;
using Shadow.Sidecar.Contracts;

namespace Shadow.Gateway.Tests.Endpoints;

public sealed class ContractSerializationTests
{
    private static readonly Type[] GrainInterfaces = [typeof(IWorkspaceGrain), typeof(ITerminalGrain), typeof(IChangeFeedGrain)];

    [Fact]
    public void SidecarContracts_CarriedByTheGatewaysGrainCalls_AreKnownToTheJsonCodec()
    {
        var carried = CarriedContracts().ToList();
        carried.Count.ShouldBeGreaterThan(20);

        var missing = carried.Where(t => t.Name != "ExecStreamEvent" && SidecarJson.Resolver.GetTypeInfo(t, SidecarJson.Options) is null);

        missing.Select(t => t.Name).ShouldBeEmpty();
    }

    [Fact]
    public void ExecStreamEvent_IsKnownToTheJsonCodec() =>
        SidecarJson.Resolver.GetTypeInfo(typeof(Shadow.Sidecar.Contracts.Exec.ExecStreamEvent), SidecarJson.Options).ShouldNotBeNull();

    private static IEnumerable<Type> CarriedContracts() =>
        GrainInterfaces
            .SelectMany(i => i.GetMethods())
            .SelectMany(m => m.GetParameters().Select(p => p.ParameterType).Append(m.ReturnType))
            .SelectMany(Unwrap)
            .Where(ShadowSerialization.IsSidecarContract)
            .Distinct();

    private static IEnumerable<Type> Unwrap(Type type) =>
        type.IsGenericType ? type.GetGenericArguments().SelectMany(Unwrap) : [type];
}
