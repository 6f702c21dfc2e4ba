namespace Shadow.Gateway.Contracts;

/// <summary>Answer of <c>GET /healthz</c>.</summary>
/// <param name="Status">healthy or unhealthy.</param>
/// <param name="Silo">What the co-hosted silo reports (its membership status).</param>
/// <param name="Agent">The model the agent talks to; <c>scripted: true</c> means the recorded demo conversation (no provider key is configured).</param>
public sealed record HealthResponse(string Status, string Silo, AgentResponse? Agent = null);
