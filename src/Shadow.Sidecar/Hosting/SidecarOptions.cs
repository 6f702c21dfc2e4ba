using System.Globalization;
using Shadow.Sidecar.Exec;
using Shadow.Sidecar.Files;
using Shadow.Sidecar.Sandbox;
using Shadow.Sidecar.Search;
using Shadow.Sidecar.Terminal;
using Shadow.Sidecar.Watch;

namespace Shadow.Sidecar.Hosting;

/// <summary>Settings of one sidecar; bound from the <c>Sidecar</c> configuration section plus the command line.</summary>
internal sealed class SidecarOptions
{
    public const string SectionName = "Sidecar";
    public const string TokenVariable = "SHADOW_SIDECAR_TOKEN";
    public const int MinTokenLength = 16;
    public const int MaxTokenLength = 128;

    /// <summary>The workspace root (<c>--workspace</c>). Required; must exist.</summary>
    public string Workspace { get; set; } = string.Empty;

    /// <summary>Where the sidecar keeps its own state (terminal buffer); outside the workspace. Default: <c>&lt;workspace&gt;/../.&lt;name&gt;.shadow-state</c>.</summary>
    public string? StateDir { get; set; }

    /// <summary>The bearer token; only from <c>SHADOW_SIDECAR_TOKEN</c>, never from a file.</summary>
    public string Token { get; set; } = string.Empty;

    /// <summary>
    /// A FIFO (<c>--token-pipe</c>) the token arrives on after start, instead of <c>SHADOW_SIDECAR_TOKEN</c>: the sidecar of a
    /// microVM guest is started (and snapshotted) before its workspace exists, and the host hands it the token later over a
    /// control channel. Until the first valid line arrives every route, <c>/health</c> included, answers 503.
    /// </summary>
    public string? TokenPipe { get; set; }

    /// <summary>
    /// The process this sidecar lives for (<c>--parent-pid</c>); once it is gone the sidecar stops gracefully. Kept as text
    /// so that a value that is not a number is reported by <see cref="Validate"/> instead of failing the binder.
    /// </summary>
    public string? ParentPid { get; set; }

    /// <summary><see cref="ParentPid"/> as a process id; null when not set or not a positive integer.</summary>
    public int? ParentProcessId =>
        int.TryParse(ParentPid, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid > 0 ? pid : null;

    /// <summary>Largest request body accepted, in bytes (default 64 MiB); larger answers 413.</summary>
    public long MaxRequestBodyBytes { get; set; } = 64L * 1024 * 1024;

    public FilesOptions Files { get; set; } = new();

    public SearchOptions Search { get; set; } = new();

    public ExecOptions Exec { get; set; } = new();

    public TerminalOptions Terminal { get; set; } = new();

    public WatchOptions Watch { get; set; } = new();

    public SandboxOptions Sandbox { get; set; } = new();

    /// <summary>The canonical state folder (created on start).</summary>
    public string ResolvedStateDir => StateDir is { Length: > 0 } s
        ? Path.GetFullPath(s)
        : Path.Combine(Path.GetDirectoryName(Path.GetFullPath(Workspace).TrimEnd('/')) ?? "/", "." + Path.GetFileName(Path.GetFullPath(Workspace).TrimEnd('/')) + ".shadow-state");

    /// <summary>Every problem with these settings, each naming the setting and how to fix it.</summary>
    public List<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(Workspace))
        {
            errors.Add("--workspace <dir> is required (or Sidecar:Workspace): the folder this sidecar serves.");
        }
        else if (!Directory.Exists(Workspace))
        {
            errors.Add($"--workspace '{Workspace}' does not exist; create the folder first.");
        }

        if (!string.IsNullOrEmpty(TokenPipe))
        {
            if (!string.IsNullOrEmpty(Token))
            {
                errors.Add($"Both {TokenVariable} and --token-pipe are set; use one of them.");
            }
            else if (!File.Exists(TokenPipe))
            {
                errors.Add($"--token-pipe '{TokenPipe}' does not exist (or Sidecar:TokenPipe): create the FIFO first (mkfifo).");
            }
        }
        else if (string.IsNullOrEmpty(Token))
        {
            errors.Add($"{TokenVariable} is not set: the sidecar refuses to start without a bearer token. Set it to a random secret of at least 16 characters.");
        }
        else if (Token.Length is < MinTokenLength or > MaxTokenLength)
        {
            errors.Add($"{TokenVariable} is {Token.Length} characters long; use {MinTokenLength} to {MaxTokenLength} characters.");
        }

        if (!string.IsNullOrWhiteSpace(ParentPid))
        {
            if (ParentProcessId is not { } parent)
            {
                errors.Add($"--parent-pid '{ParentPid}' is not a process id (or Sidecar:ParentPid): use the positive integer pid of the process this sidecar lives for.");
            }
            else if (!ParentWatcher.IsRunning(parent))
            {
                errors.Add($"--parent-pid {parent}: no such process; the sidecar would stop at once. Pass the pid of a running process.");
            }
        }

        if (MaxRequestBodyBytes < 1024)
        {
            errors.Add("Sidecar:MaxRequestBodyBytes must be at least 1024.");
        }

        errors.AddRange(Files.Validate());
        errors.AddRange(Search.Validate());
        errors.AddRange(Exec.Validate());
        errors.AddRange(Terminal.Validate());
        errors.AddRange(Watch.Validate());
        errors.AddRange(Sandbox.Validate());
        return errors;
    }
}
