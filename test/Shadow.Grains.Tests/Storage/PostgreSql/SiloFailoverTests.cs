using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Shadow.Grains.Abstractions.Tasks;
using Shadow.Grains.Hosting;
using Shadow.Grains.Runtime.Local;
using Shadow.Testing;
using Shouldly;

namespace Shadow.Grains.Tests.Storage.PostgreSql;

/// <summary>
/// Two real <c>Shadow.Silo</c> processes on PostgreSQL. The silo running a task's turn is killed with SIGKILL in the middle of a
/// tool call: the task comes back on the other silo by itself and finishes the turn from its last persisted step, with every
/// message once and one commit; then the whole cluster is replaced by a new silo and everything is still there.
/// </summary>
public sealed class SiloFailoverTests
{
    private const string Script = """
        {
          "commitMessage": "Failover work",
          "turns": [
            { "toolCalls": [ { "id": "c1", "name": "run_terminal_cmd", "arguments": { "command": "sleep 6; echo slept" } } ] },
            { "toolCalls": [ { "id": "c2", "name": "edit_file", "arguments": { "path": "DONE.md", "content": "done\n" } } ] },
            { "text": "Finished." }
          ]
        }
        """;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SiloKilledMidTurn_TurnResumesOnTheOtherSilo_ThenSurvivesAFullRestart()
    {
        var connectionString = await Postgres.NewDatabaseAsync();
        using var root = new TempDirectory("shadow-failover");
        var script = root.Combine("agent.json");
        await File.WriteAllTextAsync(script, Script, Ct);
        var remote = GitRepos.CreateBareRemote(root.Combine("repo.git"), new Dictionary<string, string> { ["a.txt"] = "alpha\n" });
        var ids = $"fo-{Guid.NewGuid():N}"[..14];
        var output = new StringBuilder();
        var silos = new List<(Process Process, int SiloPort)>();
        try
        {
            silos.Add(StartSilo(root, "a", connectionString, ids, script, output));
            silos.Add(StartSilo(root, "b", connectionString, ids, script, output));
            await WaitForActiveSilosAsync(connectionString, 2, silos, output);
            using var client = await ConnectAsync(connectionString, ids, silos, output);
            var grains = client.Services.GetRequiredService<IClusterClient>();
            var task = grains.GetGrain<ITaskGrain>("failover-1");
            await task.CreateAsync(new CreateTaskCommand("erin", remote, "main", "survive a crash"), Ct);

            // Wait until the turn is inside the slow tool call (the model's first answer, c1, is persisted).
            await WaitUntilAsync(async () => (await task.GetMessagesAsync(Ct)).Any(m => m.ToolCalls?.Any(c => c.Id == "c1") == true),
                TimeSpan.FromSeconds(90), "the first tool call", output);
            var management = grains.GetGrain<IManagementGrain>(0);
            // IManagementGrain.GetActivationAddress takes no token (the analyzer's xUnit1051 sees the grain call's generated overload).
#pragma warning disable xUnit1051
            var host = (await management.GetActivationAddress(task)).ShouldNotBeNull();
#pragma warning restore xUnit1051
            var victim = silos.Single(s => s.SiloPort == host.Endpoint.Port);
            var survivor = silos.Single(s => s.SiloPort != host.Endpoint.Port);

            var clock = Stopwatch.StartNew();
            victim.Process.Kill(); // SIGKILL
            await victim.Process.WaitForExitAsync(Ct);
            SiloAddress? moved = null;
            await WaitUntilAsync(async () =>
            {
                moved = await management.GetActivationAddress(task);
                return moved?.Endpoint.Port == survivor.SiloPort;
            }, TimeSpan.FromSeconds(60), "the task on the surviving silo", output);
            var failover = clock.Elapsed;
            var done = await ShadowCluster.WaitForInitAsync(task, TimeSpan.FromSeconds(90));
            var finished = clock.Elapsed;
            TestContext.Current.TestOutputHelper?.WriteLine(
                $"failover: SIGKILL -> task active on the other silo {failover.TotalSeconds:F1} s; -> turn finished {finished.TotalSeconds:F1} s");

            done.Status.ShouldBe(ShadowTaskStatus.Idle, done.Error);
            failover.ShouldBeLessThan(TimeSpan.FromSeconds(30), "membership detection + wake-up should take well under 15 s on an idle machine");
            var messages = await task.GetMessagesAsync(Ct);
            messages.Count(m => m.Role == ChatRole.User && m.Content == "survive a crash").ShouldBe(1);
            messages.Count(m => m.ToolCalls?.Any(c => c.Id == "c1") == true).ShouldBe(1);
            messages.Count(m => m.Role == ChatRole.Assistant && m.Content == "Finished.").ShouldBe(1);
            messages.Select(m => m.Sequence).ShouldBeInOrder();
            done.Checkpoints.ShouldNotBeNull().Count(c => c.Committed).ShouldBe(1);
            CommitsOnBranch(remote, done.Branch).ShouldBe(1);

            // The whole cluster goes away; a new silo on the same database has the task, its messages and its checkpoint.
            survivor.Process.Kill();
            await survivor.Process.WaitForExitAsync(Ct);
            silos.Add(StartSilo(root, "c", connectionString, ids, script, output));
            await WaitForActiveSilosAsync(connectionString, 1, silos, output);
            using var again = await ConnectAsync(connectionString, ids, silos, output);
            var restarted = again.Services.GetRequiredService<IClusterClient>().GetGrain<ITaskGrain>("failover-1");
            var snapshot = await restarted.GetAsync(Ct);
            snapshot.Status.ShouldBe(ShadowTaskStatus.Idle);
            snapshot.Checkpoints.ShouldNotBeNull().Count.ShouldBe(done.Checkpoints!.Count);
            (await restarted.GetMessagesAsync(Ct)).Select(m => m.Id).ShouldBe(messages.Select(m => m.Id));
        }
        finally
        {
            foreach (var (process, _) in silos)
            {
                if (!process.HasExited)
                {
                    process.Kill();
                }

                process.Dispose();
            }
        }
    }

    private static (Process, int) StartSilo(TempDirectory root, string name, string connectionString, string ids, string script, StringBuilder output)
    {
        var repository = SidecarLocator.FindRepositoryRoot(AppContext.BaseDirectory).ShouldNotBeNull();
        var dll = Directory.EnumerateFiles(Path.Combine(repository, "artifacts", "bin", "Shadow.Silo"), "Shadow.Silo.dll", SearchOption.AllDirectories)
            .OrderByDescending(File.GetLastWriteTimeUtc).FirstOrDefault().ShouldNotBeNull("Shadow.Silo is not built");
        var siloPort = FreePort();
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = root.Path };
        psi.ArgumentList.Add(dll);
        psi.Environment["Shadow__DataDir"] = root.Combine($"data-{name}");
        psi.Environment["Shadow__Storage__Kind"] = "PostgreSql";
        psi.Environment["Shadow__Storage__ConnectionString"] = connectionString;
        psi.Environment["Shadow__Orleans__SiloPort"] = siloPort.ToString(CultureInfo.InvariantCulture);
        psi.Environment["Shadow__Orleans__GatewayPort"] = FreePort().ToString(CultureInfo.InvariantCulture);
        psi.Environment["Shadow__Orleans__AdvertisedIPAddress"] = "127.0.0.1";
        psi.Environment["Shadow__Orleans__ClusterId"] = ids;
        psi.Environment["Shadow__Orleans__ServiceId"] = ids;
        psi.Environment["Shadow__Runtime__Local__WarmPoolSize"] = "0";
        psi.Environment["Shadow__Agent__Provider"] = "Scripted";
        psi.Environment["Shadow__Agent__ScriptPath"] = script;
        var process = new Process { StartInfo = psi };
        process.OutputDataReceived += (_, e) => Append(output, name, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, name, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return (process, siloPort);
    }

    private static async Task WaitForActiveSilosAsync(string connectionString, int count, List<(Process Process, int SiloPort)> silos, StringBuilder output)
    {
        await WaitUntilAsync(async () =>
        {
            silos.Where(s => s.Process.HasExited && s.Process.ExitCode != 137 && s.Process.ExitCode != -1).ShouldBeEmpty($"a silo exited:\n{Read(output)}");
            try
            {
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync(Ct);
                await using var command = new NpgsqlCommand("SELECT count(*) FROM shadow_membership WHERE status = 3", connection);
                return (long)(await command.ExecuteScalarAsync(Ct))! >= count;
            }
            catch (PostgresException)
            {
                return false; // the schema is not there yet
            }
        }, TimeSpan.FromSeconds(90), $"{count} active silo(s)", output);
    }

    private static async Task<IHost> ConnectAsync(string connectionString, string ids, List<(Process Process, int SiloPort)> silos, StringBuilder output)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Shadow:Storage:Kind"] = "PostgreSql",
                ["Shadow:Storage:ConnectionString"] = connectionString,
                ["Shadow:Orleans:ClusterId"] = ids,
                ["Shadow:Orleans:ServiceId"] = ids,
            });
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            builder.UseOrleansClient(c => c.UseShadowClusterClient(builder.Configuration));
            var host = builder.Build();
            try
            {
                await host.StartAsync(Ct);
                return host;
            }
            catch (Exception e) when (e is not OperationCanceledException && deadline.Elapsed < TimeSpan.FromSeconds(60))
            {
                host.Dispose();
                await Task.Delay(500, Ct);
            }
        }
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what, StringBuilder output)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"No {what} after {timeout}. Silo output:\n{Read(output)}");
            }

            await Task.Delay(100, Ct);
        }
    }

    private static int CommitsOnBranch(string remote, string branch)
    {
        var psi = new ProcessStartInfo("git") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "--git-dir", remote, "rev-list", "--count", branch, "^main" })
        {
            psi.ArgumentList.Add(argument);
        }

        using var git = Process.Start(psi)!;
        var count = git.StandardOutput.ReadToEnd().Trim();
        git.WaitForExit();
        return int.Parse(count, CultureInfo.InvariantCulture);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static void Append(StringBuilder output, string silo, string? line)
    {
        if (line is not null)
        {
            lock (output)
            {
                output.Append(silo).Append(": ").AppendLine(line);
            }
        }
    }

    private static string Read(StringBuilder output)
    {
        lock (output)
        {
            var text = output.ToString();
            return text.Length > 20_000 ? text[^20_000..] : text;
        }
    }
}
