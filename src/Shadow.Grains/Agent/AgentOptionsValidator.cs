using Microsoft.Extensions.Options;

namespace Shadow.Grains.Agent;

/// <summary>Checks <c>Shadow:Agent:*</c> across settings, collecting every failure with the setting it concerns.</summary>
internal sealed class AgentOptionsValidator : IValidateOptions<AgentOptions>
{
    public ValidateOptionsResult Validate(string? name, AgentOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        List<string> failures = [];
        const string Section = AgentOptions.SectionName;
        var provider = options.EffectiveProvider;
        var keyHint = $"set {Section}:ApiKey or the environment variable {AgentOptions.ApiKeyEnvironmentVariable}";

        if (options.BaseUrl is { } baseUrl
            && (!Uri.TryCreate(baseUrl, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)))
        {
            failures.Add($"{Section}:BaseUrl = '{baseUrl}' is not an absolute http(s) URL (e.g. 'http://localhost:11434/v1').");
        }

        switch (provider)
        {
            case AgentProvider.Scripted:
                if (string.IsNullOrWhiteSpace(options.ScriptPath))
                {
                    failures.Add($"{Section}:Provider is Scripted but {Section}:ScriptPath is empty: set it to a recorded conversation "
                        + "(e.g. samples/agent/hello.json), or configure a provider key to use OpenAI.");
                }
                else if (!File.Exists(options.ScriptPath))
                {
                    failures.Add($"{Section}:ScriptPath = '{options.ScriptPath}' does not exist.");
                }

                break;
            case AgentProvider.OpenAI:
                if (string.IsNullOrWhiteSpace(options.ApiKey) && !options.IsLocalServer)
                {
                    failures.Add($"{Section}:Provider is OpenAI but no key is configured: {keyHint} (or {AgentOptions.OpenAIApiKeyEnvironmentVariable}), "
                        + $"or point {Section}:BaseUrl at a local server such as Ollama.");
                }

                RequireModel(failures, provider, options.Model);
                break;
            case AgentProvider.Anthropic:
                if (string.IsNullOrWhiteSpace(options.ApiKey))
                {
                    failures.Add($"{Section}:Provider is Anthropic but no key is configured: {keyHint} (or {AgentOptions.AnthropicApiKeyEnvironmentVariable}).");
                }

                RequireModel(failures, provider, options.Model);
                break;
            default:
                failures.Add($"{Section}:Provider = '{provider}' is not a provider; use Scripted, OpenAI or Anthropic.");
                break;
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void RequireModel(List<string> failures, AgentProvider provider, string? model)
    {
        if (string.IsNullOrWhiteSpace(model))
        {
            failures.Add($"{AgentOptions.SectionName}:Model is empty: the {provider} provider needs a model id (e.g. 'gpt-4.1' or 'claude-sonnet-4-5').");
        }
    }
}
