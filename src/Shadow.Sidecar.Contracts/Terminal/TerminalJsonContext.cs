using System.Text.Json;
using System.Text.Json.Serialization;

namespace Shadow.Sidecar.Contracts.Terminal;

/// <summary>Source-generated JSON metadata for the Terminal contracts.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(TerminalEntry))]
[JsonSerializable(typeof(TerminalHistoryResponse))]
[JsonSerializable(typeof(TerminalStatsResponse))]
[JsonSerializable(typeof(TerminalClearResponse))]
public sealed partial class TerminalJsonContext : JsonSerializerContext;
