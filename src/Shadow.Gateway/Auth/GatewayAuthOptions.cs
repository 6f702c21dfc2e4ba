namespace Shadow.Gateway.Auth;

/// <summary>Who may call the API (<c>Shadow:Auth:*</c>).</summary>
public sealed class GatewayAuthOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Shadow:Auth";

    /// <summary>The shortest API key accepted.</summary>
    public const int MinimumKeyLength = 16;

    /// <summary>API key → user id (<c>Shadow:Auth:ApiKeys:&lt;key&gt;=&lt;userId&gt;</c>); a caller sends <c>Authorization: Bearer &lt;key&gt;</c>.</summary>
    public Dictionary<string, string> ApiKeys { get; set; } = [];
}
