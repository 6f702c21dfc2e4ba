using System.ComponentModel.DataAnnotations;
using System.Globalization;

namespace Shadow.Grains.Agent;

/// <summary>
/// The agent's model provider and turn bounds (<c>Shadow:Agent:*</c>).
/// The provider key comes from <c>Shadow:Agent:ApiKey</c> or, when that is empty, from the environment:
/// <c>SHADOW_AGENT_API_KEY</c> first, then <c>OPENAI_API_KEY</c> (provider OpenAI or unset) or
/// <c>ANTHROPIC_API_KEY</c> (provider Anthropic, or unset when it is the only key present, which then selects Anthropic).
/// </summary>
public sealed class AgentOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Shadow:Agent";

    /// <summary>The Shadow-specific environment variable holding the provider key (read before the provider-specific ones).</summary>
    public const string ApiKeyEnvironmentVariable = "SHADOW_AGENT_API_KEY";

    /// <summary>OpenAI's usual environment variable, read for the OpenAI provider (and when no provider is set).</summary>
    public const string OpenAIApiKeyEnvironmentVariable = "OPENAI_API_KEY";

    /// <summary>Anthropic's usual environment variable, read for the Anthropic provider (and when no provider is set).</summary>
    public const string AnthropicApiKeyEnvironmentVariable = "ANTHROPIC_API_KEY";

    /// <summary>
    /// <c>Scripted</c>, <c>OpenAI</c> or <c>Anthropic</c>. When unset: <c>Scripted</c> if no key is configured, else <c>OpenAI</c>
    /// (or <c>Anthropic</c> when the only key found is <c>ANTHROPIC_API_KEY</c>). See <see cref="EffectiveProvider"/>.
    /// </summary>
    public AgentProvider? Provider { get; set; }

    /// <summary>
    /// The provider's API root. OpenAI-compatible servers include the version segment (<c>http://localhost:11434/v1</c> for
    /// Ollama, <c>https://openrouter.ai/api/v1</c>); Anthropic's root has none (<c>https://api.anthropic.com</c>). Unset means the
    /// provider's public endpoint. An OpenAI-compatible server on loopback needs no key.
    /// </summary>
    public string? BaseUrl { get; set; }

    /// <summary>The provider key. Secret: redacted from <see cref="ToString"/> and never logged.</summary>
    [Redact]
    public string? ApiKey { get; set; }

    /// <summary>The model id sent with every request (required for <c>OpenAI</c> and <c>Anthropic</c>).</summary>
    public string? Model { get; set; }

    /// <summary>The bundled demo conversation (relative to the host's folder), replayed when <see cref="ScriptPath"/> is empty.</summary>
    public const string DefaultScriptPath = "agent/hello.json";

    /// <summary>The recorded conversation the <c>Scripted</c> provider replays (format: <see cref="ScriptedChatClient"/>); empty means
    /// the bundled demo (<see cref="DefaultScriptPath"/>).</summary>
    public string? ScriptPath { get; set; }

    /// <summary>The most model or tool steps one turn may take before it ends.</summary>
    [Range(1, 10_000)]
    public int MaxStepsPerTurn { get; set; } = 100;

    /// <summary>The most tokens one model answer may hold (Anthropic requires a limit; its adapter's default, 1,024, cuts off code).</summary>
    [Range(256, 1_000_000)]
    public int MaxOutputTokens { get; set; } = 8192;

    /// <summary>The longest a turn may run before it is cancelled.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan TurnTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>How many times the same tool call with the same arguments may repeat before the turn ends as a loop.</summary>
    [Range(2, 1_000)]
    public int LoopDetectionRepeats { get; set; } = 3;

    /// <summary>
    /// Retries of a failed model call (unreachable, 408, 429, 5xx, or an answer that is empty, malformed or cut off) before the turn
    /// fails; the task stays usable for a follow-up. Shadow retries itself (the SDKs' own retries are off) with exponential backoff
    /// and jitter from <see cref="RetryBaseDelay"/>.
    /// </summary>
    [Range(0, 10)]
    public int MaxRetries { get; set; } = 3;

    /// <summary>The first retry's delay; each further retry doubles it (with jitter).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest one model call may take (a stream that stalls longer is cut and retried).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan ModelCallTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Prices per model id (<c>Shadow:Agent:Prices:&lt;model&gt;:InputPerMillionTokens</c> and <c>:OutputPerMillionTokens</c>), used to
    /// compute each call's cost. A model without an entry costs 0. (A model id with ':' cannot be a configuration key: use its
    /// name without the tag, which is matched as a prefix.)
    /// </summary>
    public Dictionary<string, ModelPrice> Prices { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The provider in use: <see cref="Provider"/>, or the default it resolves to when unset.</summary>
    public AgentProvider EffectiveProvider => Provider ?? (string.IsNullOrWhiteSpace(ApiKey) ? AgentProvider.Scripted : AgentProvider.OpenAI);

    /// <summary>Whether <see cref="BaseUrl"/> names a server on this machine (which needs no key).</summary>
    public bool IsLocalServer =>
        Uri.TryCreate(BaseUrl, UriKind.Absolute, out var uri) && (uri.IsLoopback || uri.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase));

    /// <summary>The settings, with <see cref="ApiKey"/> redacted.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"Provider={EffectiveProvider}, BaseUrl={BaseUrl ?? "(default)"}, ApiKey={(string.IsNullOrEmpty(ApiKey) ? "(none)" : "***")}, "
        + $"Model={Model ?? "(none)"}, ScriptPath={ScriptPath ?? "(none)"}, MaxStepsPerTurn={MaxStepsPerTurn}, "
        + $"TurnTimeout={TurnTimeout}, LoopDetectionRepeats={LoopDetectionRepeats}, MaxRetries={MaxRetries}, RetryBaseDelay={RetryBaseDelay}, "
        + $"ModelCallTimeout={ModelCallTimeout}, Prices={Prices.Count}");
}
