namespace Shadow.Grains.Storage.PostgreSql;

/// <summary>The configured store cannot be used (unreachable, refused, wrong credentials); the message names the setting.</summary>
public sealed class ShadowStorageUnavailableException : Exception
{
    public ShadowStorageUnavailableException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
