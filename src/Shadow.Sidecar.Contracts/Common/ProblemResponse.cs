namespace Shadow.Sidecar.Contracts.Common;

/// <summary>An RFC 9457 problem document as the sidecar writes it (<c>application/problem+json</c>).</summary>
public sealed record ProblemResponse(string? Type, string? Title, int? Status, string? Detail, string? Instance);
