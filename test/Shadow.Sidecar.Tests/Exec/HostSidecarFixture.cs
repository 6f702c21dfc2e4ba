namespace Shadow.Sidecar.Tests.Exec;

/// <summary>
/// A sidecar whose commands run unconfined (<c>--sandbox None</c>): for the tests that follow commands by the pids they
/// print, which only mean something outside a pid namespace. The sandboxed behaviour is covered by the Sandbox tests.
/// </summary>
public sealed class HostSidecarFixture : SidecarFixture
{
    protected override string[] ExtraArgs => ["--sandbox", "None"];
}
