using System.Text.Json;
using System.Text.Json.Serialization;

namespace Shadow.Sidecar.Contracts.Terminal;

/// <summary>Source-generated JSON metadata for the Terminal contracts.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(TerminalPlaceholder))]
public sealed partial class TerminalJsonContext : JsonSerializerContext;

/// <summary>Placeholder until the Terminal contracts land.</summary>
public sealed record TerminalPlaceholder(string Value);
