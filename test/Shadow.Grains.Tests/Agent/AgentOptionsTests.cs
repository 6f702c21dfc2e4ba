using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Shadow.Grains.Agent;
using Shouldly;

namespace Shadow.Grains.Tests.Agent;

public sealed class AgentOptionsTests
{
    private const string Key = "sk-never-print-me-42";

    [Fact]
    public void Defaults_NoKey_AreScriptedWithDocumentedBounds()
    {
        var sut = new AgentOptions();

        // Assert
        sut.EffectiveProvider.ShouldBe(AgentProvider.Scripted);
        sut.MaxStepsPerTurn.ShouldBe(100);
        sut.TurnTimeout.ShouldBe(TimeSpan.FromMinutes(30));
        sut.LoopDetectionRepeats.ShouldBe(3);
        new AgentOptions { ApiKey = Key }.EffectiveProvider.ShouldBe(AgentProvider.OpenAI);
    }

    [Fact]
    public void ToString_WithKey_RedactsIt()
    {
        var sut = new AgentOptions { Provider = AgentProvider.OpenAI, ApiKey = Key, Model = "m" };

        // Act
        var text = sut.ToString();

        // Assert
        text.ShouldNotContain(Key);
        text.ShouldContain("ApiKey=***");
        text.ShouldContain("Model=m");
        typeof(AgentOptions).GetProperty(nameof(AgentOptions.ApiKey))!.IsDefined(typeof(RedactAttribute), false).ShouldBeTrue();
    }

    [Fact]
    public void Validate_OpenAIWithoutKeyOrModel_ReportsBothSettings()
    {
        // Act
        var failures = Validate(new AgentOptions { Provider = AgentProvider.OpenAI });

        // Assert
        failures.Count.ShouldBe(2);
        failures.ShouldContain(f => f.Contains("Shadow:Agent:ApiKey") && f.Contains("SHADOW_AGENT_API_KEY") && f.Contains("OPENAI_API_KEY"));
        failures.ShouldContain(f => f.StartsWith("Shadow:Agent:Model", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("http://localhost:11434/v1")]
    [InlineData("http://127.0.0.1:8000/v1")]
    [InlineData("http://[::1]:8000/v1")]
    public void Validate_OpenAIOnLocalServerWithoutKey_Passes(string baseUrl)
    {
        // Act
        var failures = Validate(new AgentOptions { Provider = AgentProvider.OpenAI, BaseUrl = baseUrl, Model = "llama3" });

        // Assert
        failures.ShouldBeEmpty();
    }

    [Fact]
    public void Validate_AnthropicWithoutKey_NamesTheKeySettings()
    {
        // Act
        var failures = Validate(new AgentOptions { Provider = AgentProvider.Anthropic, BaseUrl = "http://localhost:9/v1", Model = "claude" });

        // Assert
        failures.ShouldHaveSingleItem().ShouldContain("Shadow:Agent:ApiKey");
        failures[0].ShouldContain("ANTHROPIC_API_KEY");
    }

    [Fact]
    public void Validate_ScriptedWithoutScriptPath_NamesScriptPath()
    {
        // Act
        var failures = Validate(new AgentOptions());

        // Assert
        failures.ShouldHaveSingleItem().ShouldContain("Shadow:Agent:ScriptPath");
    }

    [Fact]
    public void Validate_ScriptPathMissingAndBadBaseUrl_ReportsEveryProblem()
    {
        // Act
        var failures = Validate(new AgentOptions { ScriptPath = "/nope/script.json", BaseUrl = "ftp://x" });

        // Assert
        failures.Count.ShouldBe(2);
        failures.ShouldContain(f => f.Contains("Shadow:Agent:ScriptPath = '/nope/script.json' does not exist"));
        failures.ShouldContain(f => f.Contains("Shadow:Agent:BaseUrl = 'ftp://x'"));
    }

    [Theory]
    [InlineData(null, "env-shadow", "env-openai", "env-anthropic", "env-shadow", AgentProvider.OpenAI)]
    [InlineData(null, null, "env-openai", "env-anthropic", "env-openai", AgentProvider.OpenAI)]
    [InlineData(null, null, null, "env-anthropic", "env-anthropic", AgentProvider.Anthropic)]
    [InlineData(AgentProvider.Anthropic, null, "env-openai", "env-anthropic", "env-anthropic", AgentProvider.Anthropic)]
    [InlineData(AgentProvider.OpenAI, null, null, "env-anthropic", null, AgentProvider.OpenAI)]
    [InlineData(null, null, null, null, null, AgentProvider.Scripted)]
    public void PostConfigure_NoConfiguredKey_ReadsTheEnvironment(AgentProvider? provider, string? shadow, string? openAI, string? anthropic,
        string? expectedKey, AgentProvider expectedProvider)
    {
        Dictionary<string, string?> environment = new()
        {
            [AgentOptions.ApiKeyEnvironmentVariable] = shadow,
            [AgentOptions.OpenAIApiKeyEnvironmentVariable] = openAI,
            [AgentOptions.AnthropicApiKeyEnvironmentVariable] = anthropic,
        };
        var options = new AgentOptions { Provider = provider };

        // Act
        new ConfigureAgentOptions(name => environment.GetValueOrDefault(name)).PostConfigure(null, options);

        // Assert
        options.ApiKey.ShouldBe(expectedKey);
        options.EffectiveProvider.ShouldBe(expectedProvider);
    }

    [Fact]
    public void PostConfigure_ConfiguredKey_WinsOverTheEnvironment()
    {
        var options = new AgentOptions { ApiKey = "from-config" };

        // Act
        new ConfigureAgentOptions(_ => "from-env").PostConfigure(null, options);

        // Assert
        options.ApiKey.ShouldBe("from-config");
    }

    [Fact]
    public void AddShadowAgent_BindsSectionAndValidates()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Shadow:Agent:Provider"] = "OpenAI",
            ["Shadow:Agent:ApiKey"] = Key,
            ["Shadow:Agent:Model"] = "gpt-test",
            ["Shadow:Agent:MaxStepsPerTurn"] = "0",
            ["Shadow:Agent:TurnTimeout"] = "00:05:00",
        }).Build();
        using var provider = new ServiceCollection().AddLogging().AddShadowAgent(configuration).BuildServiceProvider();

        // Act
        var ex = Should.Throw<OptionsValidationException>(() => provider.GetRequiredService<IOptions<AgentOptions>>().Value);

        // Assert
        ex.Failures.ShouldHaveSingleItem().ShouldContain("MaxStepsPerTurn");
        ex.Message.ShouldNotContain(Key);
    }

    [Fact]
    public void AddShadowAgent_ValidConfiguration_ResolvesTheFactory()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Shadow:Agent:Provider"] = "openai",
            ["Shadow:Agent:ApiKey"] = Key,
            ["Shadow:Agent:Model"] = "gpt-test",
        }).Build();
        using var provider = new ServiceCollection().AddLogging().AddShadowAgent(configuration).BuildServiceProvider();

        // Act
        var factory = provider.GetRequiredService<ChatClientFactory>();

        // Assert
        factory.Provider.ShouldBe(AgentProvider.OpenAI);
        factory.IsScripted.ShouldBeFalse();
        factory.ModelId.ShouldBe("gpt-test");
    }

    private static List<string> Validate(AgentOptions options)
    {
        var result = new AgentOptionsValidator().Validate(null, options);
        return result.Failed ? [.. result.Failures] : [];
    }
}
