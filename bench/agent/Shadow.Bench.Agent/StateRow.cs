namespace Shadow.Bench.Agent;

/// <summary>One row of <c>grain_state</c>: which grain and state, and the size of its payload.</summary>
internal sealed record StateRow(string GrainType, string StateName, long PayloadBytes);
