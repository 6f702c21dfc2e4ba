namespace Shadow.Grains.Sidecar;

/// <summary>Where one sidecar listens and the token it wants.</summary>
/// <param name="BaseAddress">e.g. <c>http://127.0.0.1:41234/</c>.</param>
/// <param name="Token">The workspace's bearer token; never logged.</param>
public sealed record SidecarEndpoint(Uri BaseAddress, string Token)
{
    public override string ToString() => BaseAddress.ToString();
}
