namespace Shadow.Grains.Sidecar;

/// <summary>Where one sidecar listens and the token it wants.</summary>
/// <param name="BaseAddress">Absolute, e.g. <c>http://127.0.0.1:41234/</c>.</param>
/// <param name="Token">The workspace's bearer token; never logged (not part of <see cref="ToString"/>).</param>
public sealed record SidecarEndpoint(Uri BaseAddress, string Token)
{
    /// <summary>Absolute, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri BaseAddress { get; } = BaseAddress is { IsAbsoluteUri: true }
        ? BaseAddress
        : throw new ArgumentException("A sidecar's base address must be an absolute URI.", nameof(BaseAddress));

    /// <summary>The workspace's bearer token; never logged.</summary>
    public string Token { get; } = !string.IsNullOrWhiteSpace(Token)
        ? Token
        : throw new ArgumentException("A sidecar's token must not be empty.", nameof(Token));

    /// <summary>The base address only: the token must never reach a log.</summary>
    public override string ToString() => BaseAddress.ToString();
}
