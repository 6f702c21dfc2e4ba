namespace Shadow.Sidecar.Contracts.Common;

/// <summary>Answer of <c>GET /health</c>.</summary>
public sealed record HealthResponse(string Status, string Version);
