using System.Text.Json;
using System.Text.Json.Serialization;

namespace Shadow.Sidecar.Contracts.Search;

/// <summary>Source-generated JSON metadata for the Search contracts.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(FileSearchResponse))]
[JsonSerializable(typeof(GrepRequest))]
[JsonSerializable(typeof(GrepResponse))]
public sealed partial class SearchJsonContext : JsonSerializerContext;
