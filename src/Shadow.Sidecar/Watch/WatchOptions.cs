namespace Shadow.Sidecar.Watch;

/// <summary>Settings of the Watch feature (<c>Sidecar:Watch:*</c>).</summary>
internal sealed class WatchOptions
{
    public IEnumerable<string> Validate() => [];
}
