namespace Shadow.Grains.Hosting;

/// <summary>How the gateway reaches the grains (<c>Shadow:Orleans:*</c>).</summary>
public sealed class ShadowOrleansOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Shadow:Orleans";

    /// <summary>The mode that co-hosts the silo in the gateway's process (the embedded default).</summary>
    public const string CoHostedMode = "CoHosted";

    /// <summary>The mode that connects to a separate silo cluster as an Orleans client (not supported yet).</summary>
    public const string ClientMode = "Client";

    /// <summary><c>CoHosted</c> (default): the gateway runs the silo in-process. <c>Client</c> is reserved for a later release.</summary>
    public string Mode { get; set; } = CoHostedMode;

    /// <summary>The co-hosted silo's silo-to-silo port.</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>The co-hosted silo's client gateway port.</summary>
    public int GatewayPort { get; set; } = 30000;

    /// <summary>The Orleans cluster id.</summary>
    public string ClusterId { get; set; } = "shadow-dev";

    /// <summary>The Orleans service id (keep it stable: grain state is keyed by it).</summary>
    public string ServiceId { get; set; } = "shadow";
}
