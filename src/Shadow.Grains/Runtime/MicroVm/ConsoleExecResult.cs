namespace Shadow.Grains.Runtime.MicroVm;

/// <summary>What a command run over the serial console printed, and its exit code.</summary>
/// <param name="ExitCode">The shell's <c>$?</c>.</param>
/// <param name="Output">Its stdout and stderr, interleaved as the console showed them.</param>
public sealed record ConsoleExecResult(int ExitCode, string Output);
