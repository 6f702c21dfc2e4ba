using Microsoft.Extensions.Options;

namespace Shadow.Grains.Hosting;

/// <summary>Where grain state and reminders live (<c>Shadow:Storage</c>).</summary>
public sealed class ShadowStorageOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Shadow:Storage";

    /// <summary><c>Local</c> (SQLite under <c>Shadow:DataDir</c>; the default) or <c>PostgreSql</c>.</summary>
    public string Kind { get; set; } = "Local";

    /// <summary>The PostgreSQL connection string, for <c>Kind=PostgreSql</c>.</summary>
    public string? ConnectionString { get; set; }
}

/// <summary>Checks <see cref="ShadowStorageOptions.Kind"/>.</summary>
internal sealed class ShadowStorageOptionsValidator : IValidateOptions<ShadowStorageOptions>
{
    public ValidateOptionsResult Validate(string? name, ShadowStorageOptions options) => options.Kind switch
    {
        "Local" => ValidateOptionsResult.Success,
        "PostgreSql" => ValidateOptionsResult.Fail("Shadow:Storage:Kind=PostgreSql is not available in this build yet; use Local (set Shadow__Storage__Kind=Local)."),
        _ => ValidateOptionsResult.Fail($"Shadow:Storage:Kind must be Local or PostgreSql (got '{options.Kind}')."),
    };
}
