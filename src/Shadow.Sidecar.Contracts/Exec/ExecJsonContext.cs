using System.Text.Json;
using System.Text.Json.Serialization;

namespace Shadow.Sidecar.Contracts.Exec;

/// <summary>Source-generated JSON metadata for the Exec contracts.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(ExecRequest))]
[JsonSerializable(typeof(ExecResponse))]
[JsonSerializable(typeof(ExecStartedEvent))]
[JsonSerializable(typeof(ExecExitEvent))]
[JsonSerializable(typeof(ExecStreamEvent))]
[JsonSerializable(typeof(BackgroundExecRequest))]
[JsonSerializable(typeof(BackgroundExecStarted))]
[JsonSerializable(typeof(BackgroundCommandInfo))]
[JsonSerializable(typeof(BackgroundCommandList))]
[JsonSerializable(typeof(BackgroundOutputResponse))]
[JsonSerializable(typeof(JsonElement))]
public sealed partial class ExecJsonContext : JsonSerializerContext;
