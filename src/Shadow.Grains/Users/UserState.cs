namespace Shadow.Grains.Users;

/// <summary>What <see cref="UserGrain"/> keeps: the user's task ids, oldest first.</summary>
[GenerateSerializer, Alias("shadow.user-state")]
public sealed class UserState
{
    [Id(0)] public List<string> TaskIds { get; set; } = [];
}
