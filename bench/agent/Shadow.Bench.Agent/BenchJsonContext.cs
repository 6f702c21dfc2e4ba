using System.Text.Json.Serialization;

namespace Shadow.Bench.Agent;

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(BenchResult))]
internal sealed partial class BenchJsonContext : JsonSerializerContext;
