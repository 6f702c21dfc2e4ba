namespace Shadow.Sidecar.Files;

/// <summary>Settings of the Files feature (<c>Sidecar:Files:*</c>).</summary>
internal sealed class FilesOptions
{
    public IEnumerable<string> Validate() => [];
}
