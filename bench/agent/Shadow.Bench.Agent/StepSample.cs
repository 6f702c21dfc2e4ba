namespace Shadow.Bench.Agent;

/// <summary>One persisted step of a turn: a model step (<see cref="ToolName"/> null) or a tool step, and how long it took
/// (from the previous step's completion event to its own).</summary>
internal sealed record StepSample(int Index, string? ToolName, string MessageId, double Ms)
{
    public bool IsModel => ToolName is null;
}
