using System.Text.Json;
using System.Text.Json.Serialization;

namespace Shadow.Sidecar.Contracts.Files;

/// <summary>Source-generated JSON metadata for the Files contracts.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(FilesPlaceholder))]
public sealed partial class FilesJsonContext : JsonSerializerContext;

/// <summary>Placeholder until the Files contracts land.</summary>
public sealed record FilesPlaceholder(string Value);
