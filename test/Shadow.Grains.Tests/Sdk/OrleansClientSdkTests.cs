using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Shadow.Grains.Abstractions.Serialization;
using Shadow.Grains.Abstractions.Tasks;
using Shadow.Grains.Abstractions.Workspaces;
using Shouldly;

namespace Shadow.Grains.Tests.Sdk;

/// <summary>
/// The Orleans client SDK exactly as another .NET service uses it: its own host, <c>UseOrleansClient</c> with localhost
/// clustering on the silo's gateway port, and <c>AddShadowSerialization</c>; nothing shared with the test cluster's client.
/// </summary>
public sealed class OrleansClientSdkTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ExternalClient_OverTheGateway_CreatesATaskReadsItBackAndReadsAWorkspaceFile()
    {
        await using var shadow = await ShadowCluster.StartAsync(tcp: true);
        var remote = shadow.CreateRemote("repo", new Dictionary<string, string> { ["a.txt"] = "alpha from the sdk\n" });

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.UseOrleansClient(c => c.UseLocalhostClustering(shadow.GatewayPort, shadow.ServiceId, shadow.ClusterId));
        builder.Services.AddShadowSerialization();
        using var host = builder.Build();
        await host.StartAsync(Ct);
        try
        {
            var client = host.Services.GetRequiredService<IClusterClient>();

            // Act
            var created = await client.GetGrain<ITaskGrain>("sdk1").CreateAsync(new CreateTaskCommand("bob", remote, "main", "from another service"), Ct);
            var task = await ShadowCluster.WaitForInitAsync(client.GetGrain<ITaskGrain>("sdk1"));
            var read = await client.GetGrain<IWorkspaceGrain>("sdk1").ReadFileAsync("a.txt", cancellationToken: Ct);

            // Assert
            created.Status.ShouldBe(ShadowTaskStatus.Initializing);
            task.Status.ShouldBe(ShadowTaskStatus.Idle, task.Error);
            task.OwnerId.ShouldBe("bob");
            task.Branch.ShouldBe("shadow/task-sdk1");
            var messages = await client.GetGrain<ITaskGrain>("sdk1").GetMessagesAsync(Ct);
            messages[0].Content.ShouldBe("from another service");
            messages[^1].Role.ShouldBe(ChatRole.Assistant);
            read.Content.ShouldBe("alpha from the sdk\n");
            (await client.GetGrain<IWorkspaceGrain>("sdk1").GetInfoAsync(Ct)).Phase.ShouldBe(WorkspacePhase.Ready);
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }
}
