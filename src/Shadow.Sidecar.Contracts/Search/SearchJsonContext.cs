using System.Text.Json;
using System.Text.Json.Serialization;

namespace Shadow.Sidecar.Contracts.Search;

/// <summary>Source-generated JSON metadata for the Search contracts.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(SearchPlaceholder))]
public sealed partial class SearchJsonContext : JsonSerializerContext;

/// <summary>Placeholder until the Search contracts land.</summary>
public sealed record SearchPlaceholder(string Value);
