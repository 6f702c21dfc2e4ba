using System.Text.Json;
using System.Text.Json.Serialization;

namespace Shadow.Sidecar.Contracts.Git;

/// <summary>Source-generated JSON metadata for the Git contracts.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(GitPlaceholder))]
public sealed partial class GitJsonContext : JsonSerializerContext;

/// <summary>Placeholder until the Git contracts land.</summary>
public sealed record GitPlaceholder(string Value);
