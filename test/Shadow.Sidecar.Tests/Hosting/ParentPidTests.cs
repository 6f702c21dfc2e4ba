using System.Diagnostics;
using System.Globalization;
using System.Net;
using Shadow.Sidecar.Contracts;
using Shadow.Testing;
using Shouldly;

namespace Shadow.Sidecar.Tests.Hosting;

/// <summary><c>--parent-pid</c>: the sidecar stops by itself once the process it lives for is gone.</summary>
public sealed class ParentPidTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("abc", "is not a process id")]
    [InlineData("-5", "is not a process id")]
    [InlineData("0", "is not a process id")]
    [InlineData("2147483647", "no such process")]
    public async Task Start_WithBadParentPid_RefusesNamingTheSetting(string value, string reason)
    {
        using var dir = new TempDirectory();
        var psi = SidecarProcess.CreateStartInfo(dir.Path, dir.Combine("state"), token: "0123456789abcdef0123", extraArgs: ["--parent-pid", value]);

        // Act
        using var process = Process.Start(psi)!;
        var stderr = await process.StandardError.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct);

        // Assert
        process.ExitCode.ShouldBe(2);
        stderr.ShouldContain("--parent-pid");
        stderr.ShouldContain(reason);
    }

    [Fact]
    public async Task ParentKilled_SidecarStopsGracefullyWithinSeconds()
    {
        // Arrange: a throwaway parent that is not the sidecar's real parent (the watcher must use /proc, not getppid).
        using var parent = Process.Start(new ProcessStartInfo("sleep", "60") { UseShellExecute = false })!;
        await using var sidecar = await TempSidecar.StartAsync("shadow-parent", null, Ct,
            "--parent-pid", parent.Id.ToString(CultureInfo.InvariantCulture));
        using (var health = await sidecar.Http.GetAsync(SidecarRoutes.Health, Ct))
        {
            health.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        // Act
        parent.Kill();
        await parent.WaitForExitAsync(Ct);
        var stopwatch = Stopwatch.StartNew();
        while (sidecar.Process.ExitCode is null && stopwatch.Elapsed < TimeSpan.FromSeconds(15))
        {
            await Task.Delay(50, Ct);
        }

        // Assert
        sidecar.Process.ExitCode.ShouldBe(0, $"the sidecar should stop gracefully after its parent died; output:\n{sidecar.Process.Output}");
        stopwatch.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(5));
        sidecar.Process.Output.ShouldContain($"Parent process {parent.Id} is gone");
    }

    [Fact]
    public async Task ParentAlive_SidecarKeepsRunning()
    {
        // Arrange
        using var parent = Process.Start(new ProcessStartInfo("sleep", "60") { UseShellExecute = false })!;
        try
        {
            await using var sidecar = await TempSidecar.StartAsync("shadow-parent", null, Ct,
                "--parent-pid", parent.Id.ToString(CultureInfo.InvariantCulture));

            // Act: well past a few polls.
            await Task.Delay(TimeSpan.FromSeconds(2.5), Ct);

            // Assert
            sidecar.Process.ExitCode.ShouldBeNull();
            using var health = await sidecar.Http.GetAsync(SidecarRoutes.Health, Ct);
            health.StatusCode.ShouldBe(HttpStatusCode.OK);
            sidecar.Process.Output.ShouldContain($"Watching parent process {parent.Id}");
        }
        finally
        {
            parent.Kill();
        }
    }
}
