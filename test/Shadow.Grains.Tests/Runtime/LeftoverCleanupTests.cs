using System.Diagnostics;
using System.Globalization;
using Shadow.Grains.Runtime.Local;
using Shadow.Testing;
using Shouldly;

namespace Shadow.Grains.Tests.Runtime;

/// <summary>What a crashed host left behind is cleaned when the runtime starts.</summary>
public sealed class LeftoverCleanupTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task StartAsync_RecordedOrphanStillRunning_EndsItButSparesARecycledPid()
    {
        // Arrange: two live processes; one recorded with its real start time (our orphan), one with another (a pid reused since).
        using var orphan = Process.Start(new ProcessStartInfo("sleep", "60") { UseShellExecute = false })!;
        using var stranger = Process.Start(new ProcessStartInfo("sleep", "60") { UseShellExecute = false })!;
        await using var harness = LocalRuntimeHarness.Create(data: new TempDirectory("shadow-leftover"));
        try
        {
            var records = new RuntimeRecords(harness.Data.Path);
            var orphanStart = UnixProcess.StartTime(orphan.Id).ShouldNotBeNull();
            var strangerStart = long.Parse(UnixProcess.StartTime(stranger.Id).ShouldNotBeNull(), CultureInfo.InvariantCulture);
            records.AddChild(orphan.Id, orphanStart, "aaaaaaaaaaaa");
            records.AddChild(stranger.Id, (strangerStart - 1).ToString(CultureInfo.InvariantCulture), "bbbbbbbbbbbb");

            // Act
            await harness.Runtime.StartAsync(Ct);

            // Assert
            orphan.WaitForExit(TimeSpan.FromSeconds(10)).ShouldBeTrue("the recorded orphan must be ended");
            stranger.HasExited.ShouldBeFalse("a process whose start time differs is not ours");
            records.ReadChildren().ShouldBeEmpty();
            harness.Logger.Messages.ShouldContain(m => m.Contains($"Sidecar process {orphan.Id} was left running", StringComparison.Ordinal));
        }
        finally
        {
            if (!orphan.HasExited)
            {
                orphan.Kill();
            }

            stranger.Kill();
        }
    }

    [Fact]
    public async Task StartAsync_WarmFoldersLeftBehind_DeletesThemButNotWorkspaces()
    {
        // Arrange
        var data = new TempDirectory("shadow-leftover");
        var records = new RuntimeRecords(data.Path);
        var warmId = LocalProcessRuntime.NewInstanceId();
        var realId = LocalProcessRuntime.NewInstanceId();
        records.MarkWarm(warmId);
        foreach (var id in new[] { warmId, realId })
        {
            Directory.CreateDirectory(data.Combine("workspaces", id));
            Directory.CreateDirectory(data.Combine("sidecar-state", id));
        }

        await File.WriteAllTextAsync(data.Combine("workspaces", realId, "work.txt"), "keep", Ct);
        await using var harness = LocalRuntimeHarness.Create(data: data);

        // Act
        await harness.Runtime.StartAsync(Ct);

        // Assert
        Directory.Exists(data.Combine("workspaces", warmId)).ShouldBeFalse();
        Directory.Exists(data.Combine("sidecar-state", warmId)).ShouldBeFalse();
        records.ReadWarm().ShouldBeEmpty();
        File.Exists(data.Combine("workspaces", realId, "work.txt")).ShouldBeTrue();
        Directory.Exists(data.Combine("sidecar-state", realId)).ShouldBeTrue();
    }
}
