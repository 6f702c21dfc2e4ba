namespace Shadow.Sidecar.Exec;

/// <summary>Settings of the Exec feature (<c>Sidecar:Exec:*</c>).</summary>
internal sealed class ExecOptions
{
    public IEnumerable<string> Validate() => [];
}
