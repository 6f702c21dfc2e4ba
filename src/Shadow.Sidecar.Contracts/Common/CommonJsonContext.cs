using System.Text.Json;
using System.Text.Json.Serialization;

namespace Shadow.Sidecar.Contracts.Common;

/// <summary>Source-generated JSON metadata for the common contracts.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(ProblemResponse))]
[JsonSerializable(typeof(HealthResponse))]
[JsonSerializable(typeof(StatusResponse))]
public sealed partial class CommonJsonContext : JsonSerializerContext;
