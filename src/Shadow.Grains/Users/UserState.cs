using Shadow.Grains.Abstractions.Tasks;

namespace Shadow.Grains.Users;

/// <summary>What <see cref="UserGrain"/> keeps: the user's task ids, oldest first, and their usage totals.</summary>
[GenerateSerializer, Alias("shadow.user-state")]
public sealed class UserState
{
    [Id(0)] public List<string> TaskIds { get; set; } = [];
    [Id(1)] public UsageTotals Usage { get; set; } = UsageTotals.Zero;
}
