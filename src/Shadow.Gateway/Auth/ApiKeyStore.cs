using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Shadow.Gateway.Auth;

/// <summary>The configured API keys, held as SHA-256 digests so every comparison takes the same time whatever the key's length.</summary>
internal sealed class ApiKeyStore(IOptions<GatewayAuthOptions> options)
{
    private readonly (byte[] Digest, string UserId)[] _keys =
        [.. options.Value.ApiKeys.Select(k => (Digest(k.Key), k.Value))];

    /// <summary>The user the key belongs to, or null. Compares against every key (no early exit) in constant time.</summary>
    public string? FindUser(string presentedKey)
    {
        var presented = Digest(presentedKey);
        string? match = null;
        foreach (var (digest, userId) in _keys)
        {
            if (CryptographicOperations.FixedTimeEquals(presented, digest))
            {
                match = userId;
            }
        }

        return match;
    }

    private static byte[] Digest(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));
}
