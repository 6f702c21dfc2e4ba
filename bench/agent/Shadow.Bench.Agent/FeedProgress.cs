namespace Shadow.Bench.Agent;

/// <summary>How far a task's feed has got: turns ended, and step completions (assistant Message, ToolResult) per turn (1-based).</summary>
internal sealed class FeedProgress
{
    private readonly List<int> _completions = [0];

    public int TurnsEnded { get; private set; }

    public bool SawGap { get; private set; }

    /// <summary>Step completions seen in the <paramref name="turn"/>-th turn (1-based).</summary>
    public int CompletionsIn(int turn) => turn >= 1 && turn <= _completions.Count ? _completions[turn - 1] : 0;

    public void Record(Shadow.Grains.Abstractions.Tasks.TaskEvent e, bool isCompletion)
    {
        if (e.Kind == Shadow.Grains.Abstractions.Tasks.TaskEventKind.Gap)
        {
            SawGap = true;
        }

        if (isCompletion)
        {
            _completions[TurnsEnded]++;
        }

        if (e.Kind == Shadow.Grains.Abstractions.Tasks.TaskEventKind.TurnEnded)
        {
            TurnsEnded++;
            _completions.Add(0);
        }
    }
}
