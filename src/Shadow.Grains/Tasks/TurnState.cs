namespace Shadow.Grains.Tasks;

/// <summary>The running turn's cursor: everything else it needs is in the history.</summary>
[GenerateSerializer, Alias("shadow.turn-state")]
public sealed class TurnState
{
    /// <summary>The user message the turn answers.</summary>
    [Id(0)] public string UserMessageId { get; set; } = "";
    [Id(1)] public DateTimeOffset StartedAt { get; set; }
    /// <summary>Model calls and tool calls so far.</summary>
    [Id(2)] public int Steps { get; set; }
    /// <summary>Set by stop: the turn ends at its next safe point.</summary>
    [Id(3)] public bool StopRequested { get; set; }
    /// <summary>The signatures (tool and arguments) of the latest tool calls, newest last, for loop detection.</summary>
    [Id(4)] public List<string> RecentCalls { get; set; } = [];
    /// <summary>A command tool call that was started: after a crash it is not run again without asking the model.</summary>
    [Id(5)] public string? StartedCommandCallId { get; set; }
    /// <summary>Set once the agent is done: the turn only commits, pushes and records its checkpoint.</summary>
    [Id(6)] public TurnEnding? Ending { get; set; }
    /// <summary>What the stop notice says (who stopped it, which queued follow-ups were dropped).</summary>
    [Id(7)] public string? StopNote { get; set; }
}
