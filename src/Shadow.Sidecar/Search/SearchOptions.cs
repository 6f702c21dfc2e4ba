namespace Shadow.Sidecar.Search;

/// <summary>Settings of the Search feature (<c>Sidecar:Search:*</c>).</summary>
internal sealed class SearchOptions
{
    public IEnumerable<string> Validate() => [];
}
