using System.Text.Json;
using System.Text.Json.Serialization;

namespace Shadow.Sidecar.Contracts.Exec;

/// <summary>Source-generated JSON metadata for the Exec contracts.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(ExecPlaceholder))]
public sealed partial class ExecJsonContext : JsonSerializerContext;

/// <summary>Placeholder until the Exec contracts land.</summary>
public sealed record ExecPlaceholder(string Value);
