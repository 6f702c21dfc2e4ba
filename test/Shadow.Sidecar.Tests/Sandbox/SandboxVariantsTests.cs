using System.Diagnostics;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Shadow.Sidecar.Contracts.Exec;
using Shadow.Testing;
using Shouldly;
using static Shadow.Sidecar.Tests.Exec.ExecTestKit;

namespace Shadow.Sidecar.Tests.Sandbox;

/// <summary>The network setting, gVisor, and start-up refusals of bad sandbox settings, each on a sidecar of its own.</summary>
public sealed class SandboxVariantsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("Off")]
    [InlineData("On")]
    public async Task Network_OffIsolates_OnReachesOutButNotHostLoopback(string network)
    {
        Assert.SkipWhen(SandboxFixture.SkipReason is not null, SandboxFixture.SkipReason ?? string.Empty);
        Assert.SkipWhen(network == "On" && Which("slirp4netns") is null, "slirp4netns is not installed; .ci/run installs it");
        var external = NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses).Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));
        Assert.SkipWhen(external is null, "this host has no non-loopback IPv4 address to stand in for the outside world");
        using var outside = new TcpListener(IPAddress.Any, 0);
        outside.Start();
        var port = ((IPEndPoint)outside.LocalEndpoint).Port;
        using var root = new TempDirectory("shadow-sandbox-net");
        await using var sidecar = await SidecarProcess.StartAsync(root.CreateSubdirectory("ws"), root.Combine("state"), null, Ct,
            "--sandbox", "Bubblewrap", "--sandbox-network", network);
        using var http = sidecar.CreateHttpClient();

        // Act
        var result = await ExecAsync(http, new ExecRequest(
            $"(exec 3<>/dev/tcp/{external}/{port} && echo outside-reached); (exec 3<>/dev/tcp/127.0.0.1/{port} && echo host-loopback-reached); true",
            TimeoutSeconds: 15), Ct);

        // Assert
        result.Stdout.ShouldNotContain("host-loopback-reached");
        if (network == "On")
        {
            result.Stdout.ShouldContain("outside-reached", customMessage: result.Stderr);
        }
        else
        {
            result.Stdout.ShouldNotContain("outside-reached");
            result.Stderr.ShouldContain("Network is unreachable");
        }
    }

    [Fact]
    public async Task GVisor_RunsCommandsInTheSameView()
    {
        Assert.SkipWhen(SandboxFixture.SkipReason is not null, SandboxFixture.SkipReason ?? string.Empty);
        Assert.SkipWhen(Which("runsc") is null, "gVisor (runsc) is not installed; .ci/run installs it (apt-get install runsc)");
        using var root = new TempDirectory("shadow-sandbox-gvisor");
        var secret = root.Combine("data-secret.txt");
        await File.WriteAllTextAsync(secret, "gvisor-canary", Ct);
        await using var sidecar = await SidecarProcess.StartAsync(root.CreateSubdirectory("ws"), root.Combine("state"), null, Ct, "--sandbox", "GVisor");
        using var http = sidecar.CreateHttpClient();

        // Act
        var result = await ExecAsync(http, new ExecRequest($"dmesg | head -1; echo made > made.txt; cat {secret}; echo \"cat=$?\"", TimeoutSeconds: 60), Ct);

        // Assert
        result.Stdout.ShouldContain("gVisor", customMessage: "dmesg inside gVisor names its user-space kernel");
        result.Stdout.ShouldContain("cat=1");
        result.Stdout.ShouldNotContain("gvisor-canary");
        (await File.ReadAllTextAsync(Path.Combine(sidecar.Workspace, "made.txt"), Ct)).ShouldBe("made\n");
    }

    [Theory]
    [InlineData("--sandbox", "Docker", "Sidecar:Sandbox:Kind")]
    [InlineData("--sandbox-network", "Sometimes", "Sidecar:Sandbox:Network")]
    [InlineData("--Sidecar:Sandbox:MaxProcesses", "2", "Sidecar:Sandbox:MaxProcesses")]
    [InlineData("--Sidecar:Sandbox:ReadOnlyPaths:0", "relative/path", "Sidecar:Sandbox:ReadOnlyPaths")]
    public async Task Start_WithBadSandboxSetting_RefusesNamingIt(string name, string value, string expected)
    {
        using var dir = new TempDirectory();
        var psi = SidecarProcess.CreateStartInfo(dir.CreateSubdirectory("ws"), dir.Combine("state"), token: "0123456789abcdef0123", extraArgs: [name, value]);

        using var process = Process.Start(psi)!;
        var stderr = await process.StandardError.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct);

        process.ExitCode.ShouldBe(2);
        stderr.ShouldContain(expected);
    }

    private static string? Which(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
}
