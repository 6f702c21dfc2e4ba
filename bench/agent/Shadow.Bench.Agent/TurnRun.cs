namespace Shadow.Bench.Agent;

/// <summary>What one measured turn showed.</summary>
/// <param name="Label">Which turn.</param>
/// <param name="Steps">Every step after the first (the first is timed from TurnStarted, which also covers the turn reminder's registration).</param>
/// <param name="FirstStepMs">The first step, from the TurnStarted event.</param>
/// <param name="EndMs">From the last step's completion to TurnEnded: the end of the turn (changes, commit message, commit + push, state).</param>
/// <param name="ClientWallMs">From the PostMessageAsync call to the bench receiving the last step's completion event.</param>
/// <param name="StepCount">Steps the turn took, the first included.</param>
/// <param name="Io">This process's write counters over the turn (null without /proc/self/io).</param>
/// <param name="AllocatedBytes">Bytes this process allocated over the turn.</param>
/// <param name="Collections">Gen0/gen1/gen2 collections over the turn.</param>
/// <param name="TaskStateBytes">The task row's size, sampled while the turn ran.</param>
internal sealed record TurnRun(
    string Label,
    IReadOnlyList<StepSample> Steps,
    double FirstStepMs,
    double EndMs,
    double ClientWallMs,
    int StepCount,
    IoCounters? Io,
    long AllocatedBytes,
    (int Gen0, int Gen1, int Gen2) Collections,
    IReadOnlyList<long> TaskStateBytes);
