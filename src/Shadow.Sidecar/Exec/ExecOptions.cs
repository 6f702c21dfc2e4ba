namespace Shadow.Sidecar.Exec;

/// <summary>Settings of the Exec feature (<c>Sidecar:Exec:*</c>).</summary>
internal sealed class ExecOptions
{
    /// <summary>Timeout of a foreground command that names none (default 30 s).</summary>
    public int DefaultTimeoutSeconds { get; set; } = 30;

    /// <summary>Largest timeout a request may ask for (default 3600 s).</summary>
    public int MaxTimeoutSeconds { get; set; } = 3600;

    /// <summary>Bytes of stdout and of stderr a foreground answer carries at most, each (default 1 MiB); the rest is dropped and flagged.</summary>
    public int MaxOutputBytes { get; set; } = 1024 * 1024;

    /// <summary>Background commands running at once at most (default 16); one more answers 409.</summary>
    public int MaxBackgroundCommands { get; set; } = 16;

    /// <summary>Finished background commands still listed (default 100).</summary>
    public int MaxFinishedBackgroundCommands { get; set; } = 100;

    /// <summary>Milliseconds between SIGTERM to a process group and SIGKILL (default 2000).</summary>
    public int KillGraceMilliseconds { get; set; } = 2000;

    /// <summary>HOME for commands; default: the sidecar's HOME if it exists, else <c>&lt;state-dir&gt;/home</c>.</summary>
    public string? Home { get; set; }

    /// <summary>Shells started ahead of time for commands with the default environment (default 2; 0: every command spawns its own).</summary>
    public int WarmShells { get; set; } = 2;

    public IEnumerable<string> Validate()
    {
        if (MaxTimeoutSeconds is < 1 or > 7 * 24 * 3600)
        {
            yield return $"Sidecar:Exec:MaxTimeoutSeconds must be between 1 and 604800 (is {MaxTimeoutSeconds}).";
        }

        if (DefaultTimeoutSeconds < 1 || DefaultTimeoutSeconds > MaxTimeoutSeconds)
        {
            yield return $"Sidecar:Exec:DefaultTimeoutSeconds must be between 1 and Sidecar:Exec:MaxTimeoutSeconds ({MaxTimeoutSeconds}) (is {DefaultTimeoutSeconds}).";
        }

        if (MaxOutputBytes is < 1024 or > 256 * 1024 * 1024)
        {
            yield return $"Sidecar:Exec:MaxOutputBytes must be between 1024 and 268435456 (is {MaxOutputBytes}).";
        }

        if (MaxBackgroundCommands is < 1 or > 10_000)
        {
            yield return $"Sidecar:Exec:MaxBackgroundCommands must be between 1 and 10000 (is {MaxBackgroundCommands}).";
        }

        if (MaxFinishedBackgroundCommands is < 0 or > 100_000)
        {
            yield return $"Sidecar:Exec:MaxFinishedBackgroundCommands must be between 0 and 100000 (is {MaxFinishedBackgroundCommands}).";
        }

        if (WarmShells is < 0 or > 64)
        {
            yield return $"Sidecar:Exec:WarmShells must be between 0 and 64 (is {WarmShells}).";
        }

        if (KillGraceMilliseconds is < 0 or > 60_000)
        {
            yield return $"Sidecar:Exec:KillGraceMilliseconds must be between 0 and 60000 (is {KillGraceMilliseconds}).";
        }
    }
}
