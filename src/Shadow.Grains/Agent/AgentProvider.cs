namespace Shadow.Grains.Agent;

/// <summary>Which model provider the agent talks to (<c>Shadow:Agent:Provider</c>).</summary>
public enum AgentProvider
{
    /// <summary>Replays a recorded conversation from <c>Shadow:Agent:ScriptPath</c> (tests and the offline demo).</summary>
    Scripted,

    /// <summary>Any OpenAI-compatible chat-completions server (OpenAI, OpenRouter, Ollama, vLLM).</summary>
    OpenAI,

    /// <summary>Anthropic's Messages API.</summary>
    Anthropic,
}
