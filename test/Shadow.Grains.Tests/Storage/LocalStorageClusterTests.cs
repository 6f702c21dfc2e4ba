using Orleans.TestingHost;
using Shadow.Grains.Abstractions.Serialization;
using Shadow.Grains.Storage;
using Shadow.Testing;
using Shouldly;

namespace Shadow.Grains.Tests.Storage;

/// <summary>
/// <see cref="LocalStorageSiloBuilderExtensions.UseShadowLocalStorage(ISiloBuilder, string)"/> in a real silo: what one
/// cluster writes, a new cluster started on the same folder (same service id, new cluster id) reads back.
/// </summary>
public sealed class LocalStorageClusterTests : IDisposable
{
    private readonly TempDirectory _folder = new("shadow-cluster");
    private readonly string _serviceId = $"shadow-test-{Guid.NewGuid():N}";

    public void Dispose() => _folder.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<InProcessTestCluster> StartClusterAsync(string? dataDir = null)
    {
        var builder = new InProcessTestClusterBuilder(1);
        builder.Options.ServiceId = _serviceId;
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((_, silo) => silo
            .UseShadowLocalStorage(dataDir ?? _folder.Combine("data"))
            .ConfigureServices(services => services.AddShadowSerialization()));
        builder.ConfigureClient(client => client.ConfigureServices(services => services.AddShadowSerialization()));
        var cluster = builder.Build();
        try
        {
            await cluster.DeployAsync();
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private static async Task StopAsync(InProcessTestCluster cluster)
    {
        await cluster.StopAllSilosAsync();
        await cluster.DisposeAsync();
    }

    [Fact]
    public async Task UseShadowLocalStorage_NewClusterOnSameFolder_ReadsStateAndRemindersOfTheFirst()
    {
        var first = await StartClusterAsync();
        try
        {
            var grain = first.Client.GetGrain<IStorageProbeGrain>("task-1");
            await grain.SetAsync("written by the first cluster", Ct);
            await grain.RegisterReminderAsync("wake", Ct);
        }
        finally
        {
            await StopAsync(first);
        }

        // Act
        var second = await StartClusterAsync();
        try
        {
            var grain = second.Client.GetGrain<IStorageProbeGrain>("task-1");
            var (text, recordExists) = await grain.GetAsync(Ct);
            var hasReminder = await grain.HasReminderAsync("wake", Ct);
            var hasUnknown = await grain.HasReminderAsync("never-registered", Ct);

            // Assert
            File.Exists(_folder.Combine("data", "shadow.db")).ShouldBeTrue();
            recordExists.ShouldBeTrue("phase: second cluster reading task-1's state");
            text.ShouldBe("written by the first cluster");
            hasReminder.ShouldBeTrue("phase: second cluster listing task-1's reminder 'wake'");
            hasUnknown.ShouldBeFalse();
        }
        finally
        {
            await StopAsync(second);
        }
    }

    [Fact]
    public async Task UseShadowLocalStorage_DataDirCannotBeCreated_SiloStartFailsNamingShadowDataDir()
    {
        var file = _folder.Combine("a-file");
        await File.WriteAllTextAsync(file, "x", Ct);

        // Act
        var error = await Should.ThrowAsync<Exception>(() => StartClusterAsync(Path.Combine(file, "data")));

        // Assert
        var messages = new List<string>();
        for (Exception? e = error; e is not null; e = e.InnerException)
        {
            messages.Add(e.Message);
        }

        messages.ShouldContain(m => m.Contains("Shadow:DataDir", StringComparison.Ordinal), string.Join(" | ", messages));
    }
}
