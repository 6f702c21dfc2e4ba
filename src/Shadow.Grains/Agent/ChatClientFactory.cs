using System.ClientModel;
using System.ClientModel.Primitives;
using Anthropic;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OpenAI;

namespace Shadow.Grains.Agent;

/// <summary>Builds the <see cref="IChatClient"/> for the provider configured in <c>Shadow:Agent:*</c>.</summary>
public sealed partial class ChatClientFactory
{
    // OpenAI's client insists on a credential; a local server (Ollama, vLLM) ignores this one.
    private const string NoKeyPlaceholder = "no-key";

    private readonly AgentOptions _options;
    private readonly ILogger<ChatClientFactory> _logger;

    /// <summary>Creates the factory over validated options.</summary>
    public ChatClientFactory(IOptions<AgentOptions> options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<ChatClientFactory>();
    }

    /// <summary>The provider in use (the configured one, or the default it resolved to).</summary>
    public AgentProvider Provider => _options.EffectiveProvider;

    /// <summary>Whether the agent replays a recorded script instead of calling a model (the API should say so).</summary>
    public bool IsScripted => Provider == AgentProvider.Scripted;

    /// <summary>The model id requests carry (<see cref="ScriptedChatClient.ModelId"/> for the scripted client).</summary>
    public string ModelId => IsScripted ? ScriptedChatClient.ModelId : _options.Model ?? "";

    /// <summary>Builds a new client; the caller owns and disposes it.</summary>
    /// <exception cref="InvalidDataException">The scripted provider's script is malformed.</exception>
    public IChatClient CreateChatClient()
    {
        switch (Provider)
        {
            case AgentProvider.OpenAI:
                LogInformationCreating(Provider, _options.Model ?? "", _options.BaseUrl ?? "(default endpoint)", !string.IsNullOrWhiteSpace(_options.ApiKey));
                return CreateOpenAI();
            case AgentProvider.Anthropic:
                LogInformationCreating(Provider, _options.Model ?? "", _options.BaseUrl ?? "(default endpoint)", !string.IsNullOrWhiteSpace(_options.ApiKey));
                return CreateAnthropic();
            case AgentProvider.Scripted:
                var path = _options.ScriptPath
                    ?? throw new InvalidOperationException($"{AgentOptions.SectionName}:ScriptPath is empty: the Scripted provider needs a recorded conversation.");
                var scripted = ScriptedChatClient.Load(path);
                LogWarningScripted(path, scripted.TurnCount);
                return scripted;
            default:
                throw new InvalidOperationException($"{AgentOptions.SectionName}:Provider = '{Provider}' is not a provider; use Scripted, OpenAI or Anthropic.");
        }
    }

    private IChatClient CreateOpenAI()
    {
        var model = Required(_options.Model, "Model");
        // Shadow retries model calls itself (AgentOptions.MaxRetries), so every retry is visible in the task's events.
        var clientOptions = new OpenAIClientOptions { RetryPolicy = new ClientRetryPolicy(0), NetworkTimeout = _options.ModelCallTimeout };
        if (_options.BaseUrl is { } baseUrl)
        {
            clientOptions.Endpoint = new Uri(baseUrl, UriKind.Absolute);
        }

        var key = string.IsNullOrWhiteSpace(_options.ApiKey) ? NoKeyPlaceholder : _options.ApiKey;
        return new OpenAI.Chat.ChatClient(model, new ApiKeyCredential(key), clientOptions).AsIChatClient();
    }

    private IChatClient CreateAnthropic()
    {
        var model = Required(_options.Model, "Model");
        var key = Required(_options.ApiKey, "ApiKey");
        // Passing the key explicitly stops the SDK from reading ANTHROPIC_API_KEY itself: the key comes from AgentOptions only.
        var client = _options.BaseUrl is { } baseUrl
            ? new AnthropicClient { ApiKey = key, MaxRetries = 0, BaseUrl = baseUrl }
            : new AnthropicClient { ApiKey = key, MaxRetries = 0 };
        return client.AsIChatClient(model);
    }

    private static string Required(string? value, string setting) => string.IsNullOrWhiteSpace(value)
        ? throw new InvalidOperationException($"{AgentOptions.SectionName}:{setting} is empty.")
        : value;

    [LoggerMessage(Level = LogLevel.Information, Message = "Agent chat client: provider {Provider}, model {Model}, endpoint {Endpoint}, key configured: {HasKey}")]
    private partial void LogInformationCreating(AgentProvider provider, string model, string endpoint, bool hasKey);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Agent chat client: the Scripted provider replays {ScriptPath} ({TurnCount} turns); no model is called")]
    private partial void LogWarningScripted(string scriptPath, int turnCount);
}
