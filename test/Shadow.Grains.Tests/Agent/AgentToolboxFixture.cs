using Shadow.Grains.Abstractions.Tasks;
using Shadow.Grains.Abstractions.Workspaces;
using Shadow.Grains.Agent.Tools;
using Shouldly;

namespace Shadow.Grains.Tests.Agent;

/// <summary>One real silo, one bare remote and one idle task shared by every <see cref="AgentToolboxTests"/> test.</summary>
public sealed class AgentToolboxFixture : IAsyncLifetime
{
    public const string TaskId = "tools";

    public ShadowCluster Shadow { get; private set; } = null!;

    public IWorkspaceGrain Workspace => Shadow.Client.GetGrain<IWorkspaceGrain>(TaskId);

    public AgentToolbox CreateToolbox(AgentToolboxOptions? options = null) => new(TaskId, Workspace, options);

    public async ValueTask InitializeAsync()
    {
        Shadow = await ShadowCluster.StartAsync();
        var remote = Shadow.CreateRemote("tools", new Dictionary<string, string>
        {
            ["README.md"] = "# tools\n",
            ["lines.txt"] = string.Concat(Enumerable.Range(1, 10).Select(i => $"line {i}\n")),
            ["src/app.cs"] = "class App { /* needle */ }\n",
            ["docs/notes.md"] = "a needle in the docs\n",
            ["big.txt"] = string.Concat(Enumerable.Range(1, 2000).Select(i => $"row {i:D5}\n")),
        });
        var task = await Shadow.CreateAndWaitAsync(TaskId, remote, "main");
        task.Status.ShouldBe(ShadowTaskStatus.Idle, task.Error);
    }

    public async ValueTask DisposeAsync() => await Shadow.DisposeAsync();
}
