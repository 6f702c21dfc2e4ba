namespace Shadow.Gateway.Contracts;

/// <summary>Answer of <c>GET /healthz</c>.</summary>
/// <param name="Status">healthy or unhealthy.</param>
/// <param name="Silo">What the co-hosted silo reports (its membership status).</param>
public sealed record HealthResponse(string Status, string Silo);
