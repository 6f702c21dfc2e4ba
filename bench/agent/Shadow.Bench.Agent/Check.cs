namespace Shadow.Bench.Agent;

/// <summary>One row of the verdict table. <see cref="Pass"/> is null when there is no target or nothing was measured.</summary>
internal sealed record Check(string Metric, string Measured, string Target, bool? Pass);
