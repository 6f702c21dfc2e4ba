namespace Shadow.Grains.Hosting;

/// <summary>How the gateway reaches the grains (<c>Shadow:Orleans:*</c>).</summary>
public sealed class ShadowOrleansOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Shadow:Orleans";

    /// <summary>The mode that co-hosts the silo in the gateway's process (the embedded default).</summary>
    public const string CoHostedMode = "CoHosted";

    /// <summary>The mode that connects to a separate silo cluster (Shadow.Silo processes on PostgreSQL) as an Orleans client.</summary>
    public const string ClientMode = "Client";

    /// <summary><c>CoHosted</c> (default): the gateway runs the silo in-process. <c>Client</c>: the gateway connects to the cluster
    /// found in the PostgreSQL membership table (<c>Shadow:Storage:ConnectionString</c>).</summary>
    public string Mode { get; set; } = CoHostedMode;

    /// <summary>Whether <see cref="Mode"/> is <c>Client</c>.</summary>
    public bool IsClient => string.Equals(Mode, ClientMode, StringComparison.OrdinalIgnoreCase);

    /// <summary>With PostgreSQL clustering: the address this silo advertises to the others (empty: this host's first address).</summary>
    public string? AdvertisedIPAddress { get; set; }

    /// <summary>With PostgreSQL clustering: how often silos probe each other (Orleans' default is 5 s). A silo that misses
    /// <see cref="MissedProbesLimit"/> probes in a row is declared dead and its tasks resume elsewhere.</summary>
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>With PostgreSQL clustering: missed probes before a silo is suspected dead (Orleans' default is 3).</summary>
    public int MissedProbesLimit { get; set; } = 3;

    /// <summary>
    /// With PostgreSQL clustering: Orleans' Kubernetes hosting (ids, address and pod name from the Downward API variables
    /// <c>ORLEANS_SERVICE_ID</c>, <c>ORLEANS_CLUSTER_ID</c>, <c>POD_NAME</c>, <c>POD_NAMESPACE</c>, <c>POD_IP</c>, and the agent that
    /// deletes pods of dead silos). Null (default): on when the process runs in a pod (<c>KUBERNETES_SERVICE_HOST</c> and
    /// <c>POD_NAME</c> are set), as the Helm chart's silos do.
    /// </summary>
    public bool? KubernetesHosting { get; set; }

    /// <summary>Whether <see cref="KubernetesHosting"/> is on, reading the environment through <paramref name="getEnvironmentVariable"/>.</summary>
    public bool UsesKubernetesHosting(Func<string, string?> getEnvironmentVariable)
    {
        ArgumentNullException.ThrowIfNull(getEnvironmentVariable);
        return KubernetesHosting ?? (!string.IsNullOrEmpty(getEnvironmentVariable("KUBERNETES_SERVICE_HOST"))
            && !string.IsNullOrEmpty(getEnvironmentVariable("POD_NAME")));
    }

    /// <summary>The silo's silo-to-silo port.</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>The silo's client gateway port.</summary>
    public int GatewayPort { get; set; } = 30000;

    /// <summary>The Orleans cluster id.</summary>
    public string ClusterId { get; set; } = "shadow-dev";

    /// <summary>The Orleans service id (keep it stable: grain state is keyed by it).</summary>
    public string ServiceId { get; set; } = "shadow";
}
