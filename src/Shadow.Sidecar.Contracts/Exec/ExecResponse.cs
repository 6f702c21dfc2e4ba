namespace Shadow.Sidecar.Contracts.Exec;

/// <summary>Answer of <c>POST /exec</c>: how a foreground command ended and what it printed.</summary>
/// <param name="CommandId">Id of the command; its output in the terminal buffer carries it.</param>
/// <param name="ExitCode">Exit code; 128 + signal number when a signal ended it (143 after a timeout's SIGTERM).</param>
/// <param name="Stdout">Standard output, at most <c>Sidecar:Exec:MaxOutputBytes</c> UTF-8 bytes.</param>
/// <param name="Stderr">Standard error, likewise capped.</param>
/// <param name="Truncated">Whether either stream was cut at the cap (the terminal buffer still saw all of it).</param>
/// <param name="StdoutTruncated">Whether standard output was cut.</param>
/// <param name="StderrTruncated">Whether standard error was cut.</param>
/// <param name="DurationMs">Wall-clock milliseconds from start to exit.</param>
/// <param name="TimedOut">Whether the timeout ended it (its process group was killed).</param>
/// <param name="LimitExceeded">The sandbox limit the command ran into: <c>output</c> (it was ended), <c>processes</c> (forks
/// were refused), <c>cpu</c> (SIGXCPU ended it); null when none was seen. A memory limit shows as the program's own
/// allocation error.</param>
public sealed record ExecResponse(
    string CommandId,
    int ExitCode,
    string Stdout,
    string Stderr,
    bool Truncated,
    bool StdoutTruncated,
    bool StderrTruncated,
    long DurationMs,
    bool TimedOut,
    string? LimitExceeded = null);
