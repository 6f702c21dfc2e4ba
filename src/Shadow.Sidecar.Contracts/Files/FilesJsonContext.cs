using System.Text.Json;
using System.Text.Json.Serialization;

namespace Shadow.Sidecar.Contracts.Files;

/// <summary>Source-generated JSON metadata for the Files contracts.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(ReadFileResponse))]
[JsonSerializable(typeof(WriteFileRequest))]
[JsonSerializable(typeof(WriteFileResponse))]
[JsonSerializable(typeof(DeleteFileRequest))]
[JsonSerializable(typeof(DeleteFileResponse))]
[JsonSerializable(typeof(FileStatsResponse))]
[JsonSerializable(typeof(ListFilesResponse))]
[JsonSerializable(typeof(ListRecursiveResponse))]
[JsonSerializable(typeof(SearchReplaceRequest))]
[JsonSerializable(typeof(SearchReplaceResponse))]
public sealed partial class FilesJsonContext : JsonSerializerContext;
