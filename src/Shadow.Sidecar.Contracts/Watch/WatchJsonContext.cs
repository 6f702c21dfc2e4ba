using System.Text.Json;
using System.Text.Json.Serialization;

namespace Shadow.Sidecar.Contracts.Watch;

/// <summary>Source-generated JSON metadata for the Watch contracts.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(WatchEventKind))]
[JsonSerializable(typeof(WatchEvent))]
[JsonSerializable(typeof(WatchEventsResponse))]
[JsonSerializable(typeof(WatchStatusResponse))]
public sealed partial class WatchJsonContext : JsonSerializerContext;
