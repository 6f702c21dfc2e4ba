using Microsoft.Extensions.Options;
using Npgsql;

namespace Shadow.Grains.Hosting;

/// <summary>Where grain state and reminders live (<c>Shadow:Storage</c>).</summary>
public sealed class ShadowStorageOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Shadow:Storage";

    /// <summary>The embedded store (SQLite under <c>Shadow:DataDir</c>).</summary>
    public const string LocalKind = "Local";

    /// <summary>PostgreSQL for state, reminders and cluster membership.</summary>
    public const string PostgreSqlKind = "PostgreSql";

    /// <summary><c>Local</c> (SQLite under <c>Shadow:DataDir</c>; the default) or <c>PostgreSql</c>.</summary>
    public string Kind { get; set; } = "Local";

    /// <summary>The Npgsql connection string, for <c>Kind=PostgreSql</c> (and the gateway's <c>Client</c> mode). Never logged.</summary>
    public string? ConnectionString { get; set; }
}

/// <summary>Checks <c>Shadow:Storage:*</c>; messages name the setting and never repeat the connection string (it holds a password).</summary>
internal sealed class ShadowStorageOptionsValidator : IValidateOptions<ShadowStorageOptions>
{
    public ValidateOptionsResult Validate(string? name, ShadowStorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        switch (options.Kind)
        {
            case ShadowStorageOptions.LocalKind:
                return ValidateOptionsResult.Success;
            case ShadowStorageOptions.PostgreSqlKind:
                if (string.IsNullOrWhiteSpace(options.ConnectionString))
                {
                    return ValidateOptionsResult.Fail("Shadow:Storage:ConnectionString is required when Shadow:Storage:Kind=PostgreSql "
                        + "(e.g. Shadow__Storage__ConnectionString='Host=db;Port=5432;Database=shadow;Username=shadow;Password=...').");
                }

                try
                {
                    var builder = new NpgsqlConnectionStringBuilder(options.ConnectionString);
                    return string.IsNullOrWhiteSpace(builder.Host)
                        ? ValidateOptionsResult.Fail("Shadow:Storage:ConnectionString names no server: add Host=<name or address>.")
                        : ValidateOptionsResult.Success;
                }
                catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidCastException)
                {
                    return ValidateOptionsResult.Fail($"Shadow:Storage:ConnectionString is not a PostgreSQL connection string ({ex.GetType().Name}: "
                        + "use Key=Value pairs such as Host=...;Database=...;Username=...).");
                }

            default:
                return ValidateOptionsResult.Fail($"Shadow:Storage:Kind must be Local or PostgreSql (got '{options.Kind}').");
        }
    }
}
