using LibGit2Sharp;
using Shadow.Grains.Abstractions.Tasks;
using Shouldly;

namespace Shadow.Grains.Tests.Agent;

/// <summary>A turn on the Anthropic provider: the package's adapter against an Anthropic Messages API server of our own.</summary>
public sealed class AnthropicTurnTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Turn_StreamedToolUseAndText_RunsCommitsAndCountsTokens()
    {
        await using var model = await AnthropicServer.StartAsync(Ct);
        model.Responder = body =>
            body.TryGetProperty("stream", out var s) && s.ValueKind == System.Text.Json.JsonValueKind.True
                ? AnthropicServer.AssistantCount(body) == 0
                    ? ModelReply.Call("toolu_1", "edit_file", new { path = "claude.txt", content = "written by claude\n" })
                    : new ModelReply.Text("I wrote claude.txt.")
                : new ModelReply.Text("Add claude.txt");
        await using var shadow = await ShadowCluster.StartAsync(model.Settings("sk-ant-secret-1"));
        var remote = shadow.CreateRemote("repo");

        // Act
        var task = await shadow.CreateAndWaitAsync("an1", remote, "main", prompt: "write a file");

        // Assert
        task.Status.ShouldBe(ShadowTaskStatus.Idle, task.Error);
        task.Agent.ShouldNotBeNull().Provider.ShouldBe("Anthropic");
        var messages = await shadow.Task("an1").GetMessagesAsync(Ct);
        messages.Select(m => m.Role).ShouldBe([ChatRole.User, ChatRole.Assistant, ChatRole.Tool, ChatRole.Assistant]);
        messages[1].ToolCalls.ShouldNotBeNull().ShouldHaveSingleItem().Name.ShouldBe("edit_file");
        messages[2].IsError.ShouldBeFalse(messages[2].Content);
        messages[3].Content.ShouldBe("I wrote claude.txt.");
        task.Usage.ShouldNotBeNull().InputTokens.ShouldBe(300);
        model.Requests.ShouldAllBe(r => r.ApiKey.Contains("sk-ant-secret-1"));
        model.Requests.First().Body.GetProperty("max_tokens").GetInt32().ShouldBe(8192);
        using var bare = new Repository(remote);
        var tip = bare.Branches["shadow/task-an1"].Tip;
        tip.MessageShort.ShouldBe("Add claude.txt");
        tip["claude.txt"].ShouldNotBeNull();
    }
}
