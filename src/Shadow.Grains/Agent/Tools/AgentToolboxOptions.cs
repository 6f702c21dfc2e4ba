using System.ComponentModel.DataAnnotations;

namespace Shadow.Grains.Agent.Tools;

/// <summary>Bounds on what the agent's tools hand back to the model.</summary>
public sealed class AgentToolboxOptions
{
    /// <summary>The most characters one tool result may hold; the rest is cut with a <c>[truncated: N more characters]</c> note.</summary>
    [Range(256, 10_000_000)]
    public int MaxResultCharacters { get; set; } = 16_000;

    /// <summary>The most paths <c>file_search</c> asks the sidecar for.</summary>
    [Range(1, 10_000)]
    public int MaxFileSearchResults { get; set; } = 50;

    /// <summary>The most matching lines <c>grep_search</c> asks the sidecar for.</summary>
    [Range(1, 100_000)]
    public int MaxGrepResults { get; set; } = 200;
}
