namespace Shadow.Bench.Common;

/// <summary>A harness failure: the benchmark cannot trust what it would measure (wrong status, wrong body, dead process).</summary>
public sealed class BenchException(string message) : Exception(message);
