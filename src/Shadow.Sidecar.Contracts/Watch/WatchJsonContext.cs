using System.Text.Json;
using System.Text.Json.Serialization;

namespace Shadow.Sidecar.Contracts.Watch;

/// <summary>Source-generated JSON metadata for the Watch contracts.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(WatchPlaceholder))]
public sealed partial class WatchJsonContext : JsonSerializerContext;

/// <summary>Placeholder until the Watch contracts land.</summary>
public sealed record WatchPlaceholder(string Value);
