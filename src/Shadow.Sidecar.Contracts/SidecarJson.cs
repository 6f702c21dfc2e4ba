using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Shadow.Sidecar.Contracts.Common;
using Shadow.Sidecar.Contracts.Exec;
using Shadow.Sidecar.Contracts.Files;
using Shadow.Sidecar.Contracts.Git;
using Shadow.Sidecar.Contracts.Search;
using Shadow.Sidecar.Contracts.Terminal;
using Shadow.Sidecar.Contracts.Watch;

namespace Shadow.Sidecar.Contracts;

/// <summary>The one JSON setup both ends of the sidecar protocol use (source-generated, AOT-safe).</summary>
public static class SidecarJson
{
    /// <summary>Every contract's type metadata.</summary>
    public static IJsonTypeInfoResolver Resolver { get; } = JsonTypeInfoResolver.Combine(
        CommonJsonContext.Default,
        FilesJsonContext.Default,
        SearchJsonContext.Default,
        ExecJsonContext.Default,
        TerminalJsonContext.Default,
        GitJsonContext.Default,
        WatchJsonContext.Default);

    /// <summary>Web defaults, strict about missing and null required members (enums carry <c>JsonStringEnumConverter&lt;T&gt;</c> themselves).</summary>
    public static JsonSerializerOptions Options { get; } = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    /// <summary>Applies the protocol's settings to <paramref name="options"/> (used for ASP.NET's own options).</summary>
    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.TypeInfoResolverChain.Insert(0, Resolver);
        options.RespectNullableAnnotations = true;
        options.RespectRequiredConstructorParameters = true;
        options.UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip;
        return options;
    }
}
