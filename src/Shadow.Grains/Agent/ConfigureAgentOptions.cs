using Microsoft.Extensions.Options;

namespace Shadow.Grains.Agent;

/// <summary>Fills <see cref="AgentOptions.ApiKey"/> from the environment when configuration leaves it empty, and points the
/// scripted provider at the bundled demo conversation when no script is configured.</summary>
internal sealed class ConfigureAgentOptions(Func<string, string?> getEnvironmentVariable) : IPostConfigureOptions<AgentOptions>
{
    public ConfigureAgentOptions()
        : this(Environment.GetEnvironmentVariable)
    {
    }

    public void PostConfigure(string? name, AgentOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        FillApiKey(options);
        if (options.EffectiveProvider == AgentProvider.Scripted && string.IsNullOrWhiteSpace(options.ScriptPath))
        {
            options.ScriptPath = Path.Combine(AppContext.BaseDirectory, AgentOptions.DefaultScriptPath);
        }
    }

    private void FillApiKey(AgentOptions options)
    {
        if (!string.IsNullOrWhiteSpace(options.ApiKey))
        {
            return;
        }

        var key = Read(AgentOptions.ApiKeyEnvironmentVariable);
        if (key is null && options.Provider is null or AgentProvider.OpenAI)
        {
            key = Read(AgentOptions.OpenAIApiKeyEnvironmentVariable);
        }

        if (key is null && options.Provider is null or AgentProvider.Anthropic)
        {
            key = Read(AgentOptions.AnthropicApiKeyEnvironmentVariable);
            // The only key around is Anthropic's: an unset provider means Anthropic, not OpenAI with the wrong key.
            if (key is not null && options.Provider is null)
            {
                options.Provider = AgentProvider.Anthropic;
            }
        }

        options.ApiKey = key;
    }

    private string? Read(string variable) => getEnvironmentVariable(variable) is { Length: > 0 } value && !string.IsNullOrWhiteSpace(value) ? value : null;
}
