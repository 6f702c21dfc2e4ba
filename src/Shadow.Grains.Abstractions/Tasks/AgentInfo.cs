namespace Shadow.Grains.Abstractions.Tasks;

/// <summary>Which model the agent talks to.</summary>
/// <param name="Provider"><c>OpenAI</c>, <c>Anthropic</c> or <c>Scripted</c>.</param>
/// <param name="Model">The model id.</param>
/// <param name="Scripted">True when the agent replays a recorded conversation instead of calling a model (no provider key is configured).</param>
[GenerateSerializer, Immutable, Alias("shadow.agent-info")]
public sealed record AgentInfo(string Provider, string Model, bool Scripted);
