namespace Shadow.Sidecar.Terminal;

/// <summary>Settings of the Terminal feature (<c>Sidecar:Terminal:*</c>).</summary>
internal sealed class TerminalOptions
{
    public IEnumerable<string> Validate() => [];
}
