using Microsoft.Extensions.Options;

namespace Shadow.Grains.Hosting;

/// <summary>Which runtime runs workspaces (<c>Shadow:Runtime</c>).</summary>
public sealed class ShadowRuntimeOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Shadow:Runtime";

    /// <summary><c>Local</c> (a sidecar child process per workspace; the default), <c>Kubernetes</c> or <c>MicroVm</c>.</summary>
    public string Kind { get; set; } = "Local";
}

/// <summary>Checks <see cref="ShadowRuntimeOptions.Kind"/>.</summary>
internal sealed class ShadowRuntimeOptionsValidator : IValidateOptions<ShadowRuntimeOptions>
{
    public ValidateOptionsResult Validate(string? name, ShadowRuntimeOptions options) => options.Kind switch
    {
        "Local" or "Kubernetes" or "MicroVm" => ValidateOptionsResult.Success,
        _ => ValidateOptionsResult.Fail($"Shadow:Runtime:Kind must be Local, Kubernetes or MicroVm (got '{options.Kind}')."),
    };
}
