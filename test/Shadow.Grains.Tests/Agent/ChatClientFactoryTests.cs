using System.ClientModel;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Shadow.Grains.Agent;
using Shouldly;

namespace Shadow.Grains.Tests.Agent;

public sealed class ChatClientFactoryTests : IAsyncLifetime
{
    private const string Key = "sk-test-7f3a9c1d-secret";
    private const string Model = "test-model-1";

    private const string Text = "Hello from the model server.";
    private const string ToolName = "read_file";
    private const string ToolCallId = "call_abc";

    private ModelServer _server = null!;

    public async ValueTask InitializeAsync()
    {
        _server = await ModelServer.StartAsync(TestContext.Current.CancellationToken);
        _server.Responder = _ => Task.FromResult<ModelReply>(new ModelReply.Text(Text));
    }

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task GetResponseAsync_PlainText_ReturnsTextAndSendsKeyAndModel()
    {
        using var client = CreateFactory().CreateChatClient();

        // Act
        var response = await client.GetResponseAsync("Say hello", cancellationToken: TestContext.Current.CancellationToken);

        // Assert
        response.Text.ShouldBe(Text);
        response.FinishReason.ShouldBe(ChatFinishReason.Stop);
        response.Usage.ShouldNotBeNull().InputTokenCount.ShouldBe(100);
        var request = _server.Requests.ShouldHaveSingleItem();
        request.Authorization.ShouldBe($"Bearer {Key}");
        request.Model.ShouldBe(Model);
        request.Stream.ShouldBeFalse();
    }

    [Fact]
    public async Task GetStreamingResponseAsync_Text_ArrivesInChunks()
    {
        using var client = CreateFactory().CreateChatClient();
        List<string> chunks = [];

        // Act
        await foreach (var update in client.GetStreamingResponseAsync("Say hello", cancellationToken: TestContext.Current.CancellationToken))
        {
            if (update.Text.Length > 0)
            {
                chunks.Add(update.Text);
            }
        }

        // Assert
        chunks.Count.ShouldBe(2);
        string.Concat(chunks).ShouldBe(Text);
        var request = _server.Requests.ShouldHaveSingleItem();
        request.Stream.ShouldBeTrue();
        request.Authorization.ShouldBe($"Bearer {Key}");
        request.Model.ShouldBe(Model);
    }

    [Fact]
    public async Task GetResponseAsync_ToolCall_ParsesFunctionCallContent()
    {
        ReplyWithToolCall();
        using var client = CreateFactory().CreateChatClient();
        var options = new ChatOptions { Tools = [AIFunctionFactory.Create((string path) => path, ToolName)] };

        // Act
        var response = await client.GetResponseAsync("Read the README", options, TestContext.Current.CancellationToken);

        // Assert
        response.FinishReason.ShouldBe(ChatFinishReason.ToolCalls);
        var call = response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().ShouldHaveSingleItem();
        AssertToolCall(call);
        var sentTools = _server.Requests.ShouldHaveSingleItem().Body.GetProperty("tools");
        sentTools[0].GetProperty("function").GetProperty("name").GetString().ShouldBe(ToolName);
    }

    [Fact]
    public async Task GetStreamingResponseAsync_ToolCall_AssemblesArgumentsAcrossChunks()
    {
        ReplyWithToolCall();
        using var client = CreateFactory().CreateChatClient();
        List<ChatResponseUpdate> updates = [];

        // Act
        await foreach (var update in client.GetStreamingResponseAsync("Read the README", cancellationToken: TestContext.Current.CancellationToken))
        {
            updates.Add(update);
        }

        // Assert
        var call = updates.ToChatResponse().Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().ShouldHaveSingleItem();
        AssertToolCall(call);
    }

    [Fact]
    public async Task GetResponseAsync_ServerError_Throws()
    {
        _server.Responder = _ => Task.FromResult<ModelReply>(new ModelReply.Status(500));
        using var client = CreateFactory().CreateChatClient();

        // Act
        var ex = await Should.ThrowAsync<ClientResultException>(() => client.GetResponseAsync("Say hello", cancellationToken: TestContext.Current.CancellationToken));

        // Assert
        ex.Status.ShouldBe(500);
        _server.Requests.Count.ShouldBe(1, "MaxRetries = 0 means exactly one attempt");
    }

    [Fact]
    public async Task CreateChatClient_Logs_NeverTheKey()
    {
        using var logs = new CapturingLoggerProvider();
        using var loggerFactory = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
        var factory = CreateFactory(loggerFactory);

        // Act
        using var client = factory.CreateChatClient();
        await client.GetResponseAsync("Say hello", cancellationToken: TestContext.Current.CancellationToken);

        // Assert
        logs.Lines.ShouldNotBeEmpty();
        logs.Lines.ShouldAllBe(line => !line.Contains(Key));
        logs.Lines.ShouldContain(line => line.Contains(Model));
        factory.IsScripted.ShouldBeFalse();
        factory.Provider.ShouldBe(AgentProvider.OpenAI);
    }

    [Fact]
    public void CreateChatClient_Anthropic_UsesThePackageAdapter()
    {
        var factory = new ChatClientFactory(Options.Create(new AgentOptions { Provider = AgentProvider.Anthropic, ApiKey = Key, Model = "claude-test" }));

        // Act
        using var client = factory.CreateChatClient();

        // Assert
        client.GetService<ChatClientMetadata>().ShouldNotBeNull().ProviderName.ShouldNotBeNullOrEmpty();
        factory.IsScripted.ShouldBeFalse();
    }

    [Fact]
    public void CreateChatClient_Scripted_LoadsTheScriptAndSaysSo()
    {
        var path = Path.Combine(AppContext.BaseDirectory, $"factory-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, """{ "turns": [ { "text": "hi" } ] }""");
        try
        {
            var factory = new ChatClientFactory(Options.Create(new AgentOptions { ScriptPath = path }));

            // Act
            using var client = factory.CreateChatClient();

            // Assert
            factory.IsScripted.ShouldBeTrue();
            client.ShouldBeOfType<ScriptedChatClient>().TurnCount.ShouldBe(1);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private void ReplyWithToolCall() =>
        _server.Responder = _ => Task.FromResult<ModelReply>(ModelReply.Call(ToolCallId, ToolName, new { path = "README.md", startLine = 3 }));

    private static void AssertToolCall(FunctionCallContent call)
    {
        call.CallId.ShouldBe(ToolCallId);
        call.Name.ShouldBe(ToolName);
        var arguments = call.Arguments.ShouldNotBeNull();
        arguments.Keys.ShouldBe(["path", "startLine"], ignoreOrder: true);
        arguments["path"]?.ToString().ShouldBe("README.md");
        arguments["startLine"].ShouldBeOfType<JsonElement>().GetInt32().ShouldBe(3);
    }

    private ChatClientFactory CreateFactory(ILoggerFactory? loggerFactory = null) => new(Options.Create(new AgentOptions
    {
        Provider = AgentProvider.OpenAI,
        BaseUrl = _server.BaseUrl.ToString(),
        ApiKey = Key,
        Model = Model,
        MaxRetries = 0,
    }), loggerFactory);
}
