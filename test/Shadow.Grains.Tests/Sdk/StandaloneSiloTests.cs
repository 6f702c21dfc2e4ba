using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Shadow.Grains.Abstractions.Serialization;
using Shadow.Grains.Abstractions.Tasks;
using Shadow.Grains.Abstractions.Workspaces;
using Shadow.Grains.Runtime.Local;
using Shadow.Testing;
using Shouldly;

namespace Shadow.Grains.Tests.Sdk;

/// <summary><c>Shadow.Silo</c> as its own process (local store, Local runtime), reached through the Orleans client SDK.</summary>
public sealed class StandaloneSiloTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ShadowSiloProcess_ServesTasksToAnSdkClient_AndKeepsThemAcrossARestart()
    {
        using var root = new TempDirectory("shadow-silo");
        var remote = GitRepos.CreateBareRemote(root.Combine("repo.git"), new Dictionary<string, string> { ["a.txt"] = "from the silo\n" });
        var (siloPort, gatewayPort) = (FreePort(), FreePort());
        var output = new StringBuilder();

        using (var silo = StartSilo(root, siloPort, gatewayPort, output))
        {
            await UseClientAsync(gatewayPort, output, silo, async client =>
            {
                await client.GetGrain<ITaskGrain>("silo1").CreateAsync(new CreateTaskCommand("dana", remote, "main", "standalone"), Ct);
                var task = await ShadowCluster.WaitForInitAsync(client.GetGrain<ITaskGrain>("silo1"), TimeSpan.FromSeconds(60));
                task.Status.ShouldBe(ShadowTaskStatus.Idle, task.Error);
                (await client.GetGrain<IWorkspaceGrain>("silo1").ReadFileAsync("a.txt", cancellationToken: Ct)).Content.ShouldBe("from the silo\n");
            });
            silo.Kill();
            await silo.WaitForExitAsync(Ct);
        }

        // The same data folder after a crash: the task is there and its workspace comes back on use.
        using (var again = StartSilo(root, siloPort, gatewayPort, output))
        {
            await UseClientAsync(gatewayPort, output, again, async client =>
            {
                var task = await client.GetGrain<ITaskGrain>("silo1").GetAsync(Ct);
                task.Status.ShouldBe(ShadowTaskStatus.Idle);
                task.OwnerId.ShouldBe("dana");
                (await client.GetGrain<IWorkspaceGrain>("silo1").ReadFileAsync("a.txt", cancellationToken: Ct)).Content.ShouldBe("from the silo\n");
            });
            again.Kill();
            await again.WaitForExitAsync(Ct);
        }
    }

    private static Process StartSilo(TempDirectory root, int siloPort, int gatewayPort, StringBuilder output)
    {
        var repository = SidecarLocator.FindRepositoryRoot(AppContext.BaseDirectory).ShouldNotBeNull();
        var dll = Directory.EnumerateFiles(Path.Combine(repository, "artifacts", "bin", "Shadow.Silo"), "Shadow.Silo.dll", SearchOption.AllDirectories)
            .OrderByDescending(File.GetLastWriteTimeUtc).FirstOrDefault().ShouldNotBeNull("Shadow.Silo is not built");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = root.Path };
        psi.ArgumentList.Add(dll);
        psi.Environment["Shadow__DataDir"] = root.Combine("data");
        psi.Environment["Shadow__Orleans__SiloPort"] = siloPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        psi.Environment["Shadow__Orleans__GatewayPort"] = gatewayPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        psi.Environment["Shadow__Orleans__ClusterId"] = "standalone-test";
        psi.Environment["Shadow__Orleans__ServiceId"] = "standalone-test";
        psi.Environment["Shadow__Runtime__Local__WarmPoolSize"] = "0";
        psi.Environment["Shadow__Agent__Provider"] = "Scripted";
        var process = new Process { StartInfo = psi };
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task UseClientAsync(int gatewayPort, StringBuilder output, Process silo, Func<IClusterClient, Task> act)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.UseOrleansClient(c => c.UseLocalhostClustering(gatewayPort, "standalone-test", "standalone-test"));
        builder.Services.AddShadowSerialization();
        using var host = builder.Build();
        // The silo takes a few seconds to open its gateway: retry the connection until it does.
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            silo.HasExited.ShouldBeFalse($"Shadow.Silo exited:\n{Read(output)}");
            try
            {
                await host.StartAsync(Ct);
                break;
            }
            catch (Exception e) when (e is not OperationCanceledException && deadline.Elapsed < TimeSpan.FromSeconds(60))
            {
                await Task.Delay(500, Ct);
            }
        }

        try
        {
            await act(host.Services.GetRequiredService<IClusterClient>());
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is not null)
        {
            lock (output)
            {
                output.AppendLine(line);
            }
        }
    }

    private static string Read(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }
}
