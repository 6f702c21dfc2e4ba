using System.Text;
using Shadow.Sidecar.Hosting;

namespace Shadow.Sidecar.Security;

/// <summary>
/// The bearer token the sidecar expects: set at start from <c>SHADOW_SIDECAR_TOKEN</c>, or set once later by
/// <see cref="TokenPipeReader"/> (a microVM guest's sidecar starts before it has one).
/// </summary>
internal sealed class SidecarToken
{
    private byte[]? _expected;

    public SidecarToken(string token)
    {
        _expected = string.IsNullOrEmpty(token) ? null : Encoding.UTF8.GetBytes(token);
    }

    /// <summary>The token's UTF-8 bytes; null while none has arrived.</summary>
    public byte[]? Expected => Volatile.Read(ref _expected);

    /// <summary>Sets the token if none is set yet and <paramref name="token"/> has a valid length; false otherwise.</summary>
    public bool TrySet(string token)
    {
        if (token.Length is < SidecarOptions.MinTokenLength or > SidecarOptions.MaxTokenLength)
        {
            return false;
        }

        return Interlocked.CompareExchange(ref _expected, Encoding.UTF8.GetBytes(token), null) is null;
    }
}
