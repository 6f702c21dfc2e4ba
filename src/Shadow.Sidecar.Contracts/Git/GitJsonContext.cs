using System.Text.Json;
using System.Text.Json.Serialization;

namespace Shadow.Sidecar.Contracts.Git;

/// <summary>Source-generated JSON metadata for the Git contracts.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(GitCredentials))]
[JsonSerializable(typeof(GitCloneRequest))]
[JsonSerializable(typeof(GitCloneResponse))]
[JsonSerializable(typeof(GitConfigRequest))]
[JsonSerializable(typeof(GitConfigResponse))]
[JsonSerializable(typeof(GitBranchRequest))]
[JsonSerializable(typeof(GitBranchResponse))]
[JsonSerializable(typeof(GitCheckoutRequest))]
[JsonSerializable(typeof(GitHeadResponse))]
[JsonSerializable(typeof(GitFileState))]
[JsonSerializable(typeof(GitStatusEntry))]
[JsonSerializable(typeof(GitStatusResponse))]
[JsonSerializable(typeof(GitDiffResponse))]
[JsonSerializable(typeof(GitCommitRequest))]
[JsonSerializable(typeof(GitCommitResponse))]
[JsonSerializable(typeof(GitResetRequest))]
[JsonSerializable(typeof(GitPushRequest))]
[JsonSerializable(typeof(GitPushResponse))]
[JsonSerializable(typeof(GitLogEntry))]
[JsonSerializable(typeof(GitLogResponse))]
[JsonSerializable(typeof(GitChangedFile))]
[JsonSerializable(typeof(GitChangedFilesResponse))]
public sealed partial class GitJsonContext : JsonSerializerContext;
