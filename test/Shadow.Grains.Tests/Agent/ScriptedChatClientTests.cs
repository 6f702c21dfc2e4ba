using System.Text.Json;
using Microsoft.Extensions.AI;
using Shadow.Grains.Agent;
using Shouldly;

namespace Shadow.Grains.Tests.Agent;

public sealed class ScriptedChatClientTests
{
    private const string Script = """
        {
          "turns": [
            { "text": "I will read the README first." },
            { "toolCalls": [
                { "id": "call_1", "name": "read_file", "arguments": { "path": "README.md", "startLine": 2 } },
                { "name": "list_dir" } ] },
            { "text": "Done." }
          ]
        }
        """;

    [Fact]
    public async Task GetResponseAsync_Turns_ReplayInOrderThenEnd()
    {
        using var sut = ScriptedChatClient.Parse(Script, "inline");
        var ct = TestContext.Current.CancellationToken;

        // Act
        var first = await sut.GetResponseAsync(History(0), cancellationToken: ct);
        var second = await sut.GetResponseAsync(History(1), cancellationToken: ct);
        var third = await sut.GetResponseAsync(History(2), cancellationToken: ct);
        var fourth = await sut.GetResponseAsync(History(3), cancellationToken: ct);

        // Assert
        first.Text.ShouldBe("I will read the README first.");
        first.FinishReason.ShouldBe(ChatFinishReason.Stop);
        second.FinishReason.ShouldBe(ChatFinishReason.ToolCalls);
        var calls = second.Messages.ShouldHaveSingleItem().Contents.OfType<FunctionCallContent>().ToList();
        calls.Count.ShouldBe(2);
        calls[0].CallId.ShouldBe("call_1");
        calls[0].Name.ShouldBe("read_file");
        calls[0].Arguments.ShouldNotBeNull()["path"]?.ToString().ShouldBe("README.md");
        calls[0].Arguments!["startLine"].ShouldBeOfType<JsonElement>().GetInt32().ShouldBe(2);
        calls[1].CallId.ShouldBe("call_1_1");
        calls[1].Name.ShouldBe("list_dir");
        calls[1].Arguments.ShouldBeNull();
        third.Text.ShouldBe("Done.");
        fourth.Text.ShouldBe(ScriptedChatClient.ExhaustedText);
        fourth.FinishReason.ShouldBe(ChatFinishReason.Stop);
        sut.Replayed.ShouldBe(3);
    }

    [Fact]
    public async Task GetStreamingResponseAsync_Text_ArrivesInSeveralChunks()
    {
        using var sut = ScriptedChatClient.Parse(Script, "inline");
        List<ChatResponseUpdate> updates = [];

        // Act
        await foreach (var update in sut.GetStreamingResponseAsync("go", cancellationToken: TestContext.Current.CancellationToken))
        {
            updates.Add(update);
        }

        // Assert
        updates.Count.ShouldBe(3);
        string.Concat(updates.Select(u => u.Text)).ShouldBe("I will read the README first.");
        updates.ShouldAllBe(u => u.Role == ChatRole.Assistant);
        updates[^1].FinishReason.ShouldBe(ChatFinishReason.Stop);
        updates.ToChatResponse().Text.ShouldBe("I will read the README first.");
    }

    [Fact]
    public async Task GetStreamingResponseAsync_ToolCalls_CarryNamesAndArguments()
    {
        using var sut = ScriptedChatClient.Parse(Script, "inline");
        var ct = TestContext.Current.CancellationToken;
        List<ChatResponseUpdate> updates = [];

        // Act
        await foreach (var update in sut.GetStreamingResponseAsync(History(1), cancellationToken: ct))
        {
            updates.Add(update);
        }

        // Assert
        var response = updates.ToChatResponse();
        response.FinishReason.ShouldBe(ChatFinishReason.ToolCalls);
        var calls = response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().ToList();
        calls.Select(c => c.Name).ShouldBe(["read_file", "list_dir"]);
        calls[0].Arguments.ShouldNotBeNull()["path"]?.ToString().ShouldBe("README.md");
    }

    [Fact]
    public void Load_SampleFile_IsValid()
    {
        var sample = Path.Combine(RepositoryRoot(), "samples", "agent", "hello.json");

        // Act
        using var sut = ScriptedChatClient.Load(sample);

        // Assert
        sut.TurnCount.ShouldBe(3);
        sut.Source.ShouldBe(sample);
    }

    [Fact]
    public async Task GetResponseAsync_SameHistoryTwice_AnswersTheSameTurn()
    {
        using var sut = ScriptedChatClient.Parse(Script, "inline");
        var ct = TestContext.Current.CancellationToken;

        // Act: a restart or a rollback sends the same history again
        var once = await sut.GetResponseAsync(History(2), cancellationToken: ct);
        var again = await sut.GetResponseAsync(History(2), cancellationToken: ct);

        // Assert
        once.Text.ShouldBe("Done.");
        again.Text.ShouldBe("Done.");
        sut.Replayed.ShouldBe(3);
    }

    [Fact]
    public async Task GetResponseAsync_CommitMessageRequest_AnswersTheRecordedMessageOrFails()
    {
        using var withMessage = ScriptedChatClient.Parse("""{ "commitMessage": "Fix the README", "turns": [ { "text": "a" } ] }""", "inline");
        using var without = ScriptedChatClient.Parse(Script, "inline");
        var ct = TestContext.Current.CancellationToken;

        // Act
        var message = await withMessage.GetResponseAsync("diff", new CommitMessageChatOptions(), ct);

        // Assert
        message.Text.ShouldBe("Fix the README");
        withMessage.Replayed.ShouldBe(0);
        await Should.ThrowAsync<InvalidOperationException>(() => without.GetResponseAsync("diff", new CommitMessageChatOptions(), ct));
    }

    private static List<ChatMessage> History(int assistantTurns)
    {
        List<ChatMessage> history = [new(ChatRole.User, "go")];
        for (var i = 0; i < assistantTurns; i++)
        {
            history.Add(new ChatMessage(ChatRole.Assistant, $"turn {i}"));
        }

        return history;
    }

    [Theory]
    [InlineData("{ \"turns\": [ { \"text\": \"a\" },\n  { \"text\": 42 } ] }", "line 2", "$.turns[1].text")]
    [InlineData("{ \"turns\": [\n { \"text\": \"a\" \n", "line 3", "")]
    [InlineData("{ \"turns\": [ { \"txet\": \"a\" } ] }", "line 1", "txet")]
    [InlineData("{ \"turns\": [] }", "$.turns", "non-empty")]
    [InlineData("{ }", "$.turns", "non-empty")]
    [InlineData("{ \"turns\": [ { \"text\": \"a\", \"toolCalls\": [] } ] }", "$.turns[0]", "both")]
    [InlineData("{ \"turns\": [ { } ] }", "$.turns[0]", "neither")]
    [InlineData("{ \"turns\": [ { \"text\": \"\" } ] }", "$.turns[0].text", "empty")]
    [InlineData("{ \"commitMessage\": \" \", \"turns\": [ { \"text\": \"a\" } ] }", "$.commitMessage", "blank")]
    [InlineData("{ \"turns\": [ { \"toolCalls\": [] } ] }", "$.turns[0].toolCalls", "non-empty")]
    [InlineData("{ \"turns\": [ { \"text\": \"a\" }, { \"toolCalls\": [ { \"arguments\": {} } ] } ] }", "$.turns[1].toolCalls[0].name", "missing")]
    [InlineData("{ \"turns\": [ { \"toolCalls\": [ { \"name\": \"x\", \"arguments\": [1] } ] } ] }", "$.turns[0].toolCalls[0].arguments", "JSON object")]
    public void Parse_Malformed_ThrowsNamingTheLineOrField(string json, string where, string detail)
    {
        // Act
        var ex = Should.Throw<InvalidDataException>(() => ScriptedChatClient.Parse(json, "bad.json"));

        // Assert
        ex.Message.ShouldContain("'bad.json'");
        ex.Message.ShouldContain(where);
        ex.Message.ShouldContain(detail);
    }

    [Fact]
    public void Load_MissingFile_ThrowsNamingThePath()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "no-such-script.json");

        // Act
        var ex = Should.Throw<InvalidDataException>(() => ScriptedChatClient.Load(path));

        // Assert
        ex.Message.ShouldContain(path);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Shadow.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Shadow.sln not found above the test output.");
    }
}
