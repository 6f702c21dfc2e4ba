namespace Shadow.Gateway.Contracts;

/// <summary>Answer of <c>GET /healthz</c>.</summary>
/// <param name="Status">healthy or unhealthy.</param>
/// <param name="Silo">What the co-hosted silo reports (its membership status).</param>
/// <param name="Agent">The model the agent talks to; <c>scripted: true</c> means the recorded demo conversation (no provider key is configured).</param>
/// <param name="Sandbox">What confines agent commands in the local runtime (<c>bubblewrap</c>, <c>gvisor</c>, or <c>none</c> with a
/// warning); null when this host runs no local runtime.</param>
/// <param name="Warnings">Things an operator must know (e.g. commands running unconfined); empty when there are none.</param>
public sealed record HealthResponse(string Status, string Silo, AgentResponse? Agent = null, string? Sandbox = null, IReadOnlyList<string>? Warnings = null);
