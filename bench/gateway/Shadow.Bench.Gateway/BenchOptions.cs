using System.Globalization;

namespace Shadow.Bench.Gateway;

/// <summary>Command-line settings of the gateway load generator.</summary>
internal sealed class BenchOptions
{
    public const string Usage = """
        Shadow.Bench.Gateway: measures the Shadow gateway + co-hosted silo + local runtime end to end.

          --gateway <dll>            published Shadow.Gateway.dll (run with dotnet)                       [required]
          --sidecar <path>           the Native AOT Shadow.Sidecar binary the local runtime spawns           [required]
          --repo <dir>               bare git repo of 200 files made by run.sh (data/read-4k.txt)            [required]
          --workspace <dir>          a checkout of that repo, for the standalone sidecar (terminal split)     [required]
          --runs <n>                 measured creates, warm and cold each              (default 20; quick 5)
          --warm-pool <n>            WarmPoolSize of the warm gateway                  (default 2)
          --requests <n>             sequential read_file requests after warm-up       (default 2000; quick 300)
          --warmup <n>               read_file warm-up requests                        (default 200; quick 50)
          --duration <s>             seconds of the 10-connection read_file phase      (default 10; quick 2)
          --concurrency <n>          connections of that phase                         (default 10)
          --terminal-mb <n>          MiB of output the terminal command writes         (default 200; quick 50)
          --replay-runs <n>          runs of each replay measurement                   (default 10; quick 3)
          --idle-tasks <n>           tasks for the idle-task RSS scenario              (default 10000; quick 1000)
          --idle-concurrency <n>     task inits in flight at once there                (default 8)
          --idle-sidecar <path>      what the idle gateway spawns as its sidecar       (default /bin/false: init fails at
                                     CreateWorkspace at once; "real" spawns the AOT sidecar, which fails at CloneRepository)
          --scenarios <a,b,...>      only these of: warm,cold,read,terminal,replay,idle
          --out <file>               JSON results                                      (default results/latest.json)
          --meta <key>=<value>       extra fact to record in the JSON (repeatable)
          --quick                    smoke run (explicit options win)
          --strict                   exit 1 when a target is missed (default: only harness errors exit 1)
        """;

    public static readonly string[] AllScenarios = ["warm", "cold", "read", "terminal", "replay", "idle"];

    public string GatewayDll { get; private set; } = string.Empty;

    public string SidecarPath { get; private set; } = string.Empty;

    public string Repo { get; private set; } = string.Empty;

    public string Workspace { get; private set; } = string.Empty;

    public int Runs { get; private set; }

    public int WarmPool { get; private set; } = 2;

    public int Requests { get; private set; }

    public int Warmup { get; private set; }

    public TimeSpan Duration { get; private set; }

    public int Concurrency { get; private set; } = 10;

    public int TerminalMb { get; private set; }

    public int ReplayRuns { get; private set; }

    public int IdleTasks { get; private set; }

    public int IdleConcurrency { get; private set; } = 8;

    /// <summary>The idle gateway's SidecarPath; null: the real sidecar (<see cref="SidecarPath"/>).</summary>
    public string? IdleSidecar { get; private set; } = "/bin/false";

    public HashSet<string> Scenarios { get; private set; } = [.. AllScenarios];

    public string Out { get; private set; } = Path.Combine("results", "latest.json");

    public Dictionary<string, string> Meta { get; } = new(StringComparer.Ordinal);

    public bool Quick { get; private set; }

    public bool Strict { get; private set; }

    public bool Has(string scenario) => Scenarios.Contains(scenario);

    public static BenchOptions Parse(string[] args)
    {
        var o = new BenchOptions();
        int? runs = null, requests = null, warmup = null, terminalMb = null, replayRuns = null, idleTasks = null;
        double? duration = null;
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{name} needs a value.");
            switch (name)
            {
                case "--gateway": o.GatewayDll = Path.GetFullPath(Value()); break;
                case "--sidecar": o.SidecarPath = Path.GetFullPath(Value()); break;
                case "--repo": o.Repo = Path.GetFullPath(Value()); break;
                case "--workspace": o.Workspace = Path.GetFullPath(Value()); break;
                case "--runs": runs = PositiveInt(name, Value()); break;
                case "--warm-pool": o.WarmPool = PositiveInt(name, Value()); break;
                case "--requests": requests = PositiveInt(name, Value()); break;
                case "--warmup": warmup = PositiveInt(name, Value()); break;
                case "--duration": duration = PositiveDouble(name, Value()); break;
                case "--concurrency": o.Concurrency = PositiveInt(name, Value()); break;
                case "--terminal-mb": terminalMb = PositiveInt(name, Value()); break;
                case "--replay-runs": replayRuns = PositiveInt(name, Value()); break;
                case "--idle-tasks": idleTasks = PositiveInt(name, Value()); break;
                case "--idle-concurrency": o.IdleConcurrency = PositiveInt(name, Value()); break;
                case "--idle-sidecar":
                    var idle = Value();
                    o.IdleSidecar = idle == "real" ? null : Path.GetFullPath(idle);
                    break;
                case "--scenarios":
                    o.Scenarios = [.. Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
                    foreach (var s in o.Scenarios.Where(s => !AllScenarios.Contains(s)))
                    {
                        throw new ArgumentException($"Unknown scenario '{s}'; known: {string.Join(",", AllScenarios)}.");
                    }

                    break;
                case "--out": o.Out = Value(); break;
                case "--meta":
                    var pair = Value();
                    var eq = pair.IndexOf('=', StringComparison.Ordinal);
                    if (eq <= 0)
                    {
                        throw new ArgumentException($"--meta expects <key>=<value>, got '{pair}'.");
                    }

                    o.Meta[pair[..eq]] = pair[(eq + 1)..];
                    break;
                case "--quick": o.Quick = true; break;
                case "--strict": o.Strict = true; break;
                default: throw new ArgumentException($"Unknown option '{name}'.");
            }
        }

        o.Runs = runs ?? (o.Quick ? 5 : 20);
        o.Requests = requests ?? (o.Quick ? 300 : 2000);
        o.Warmup = warmup ?? (o.Quick ? 50 : 200);
        o.Duration = TimeSpan.FromSeconds(duration ?? (o.Quick ? 2 : 10));
        o.TerminalMb = terminalMb ?? (o.Quick ? 50 : 200);
        o.ReplayRuns = replayRuns ?? (o.Quick ? 3 : 10);
        o.IdleTasks = idleTasks ?? (o.Quick ? 1000 : 10_000);

        if (!File.Exists(o.GatewayDll))
        {
            throw new ArgumentException("--gateway <Shadow.Gateway.dll> is required and must exist (run.sh publishes it).");
        }

        if (!File.Exists(o.SidecarPath))
        {
            throw new ArgumentException("--sidecar <Shadow.Sidecar binary> is required and must exist (run.sh publishes it).");
        }

        if (!Directory.Exists(o.Repo) || !Directory.Exists(o.Workspace))
        {
            throw new ArgumentException("--repo <bare repo> and --workspace <checkout> are required and must exist (run.sh creates them).");
        }

        return o;
    }

    private static int PositiveInt(string name, string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : throw new ArgumentException($"{name} expects a positive integer, got '{text}'.");

    private static double PositiveDouble(string name, string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d > 0
            ? d
            : throw new ArgumentException($"{name} expects a positive number, got '{text}'.");
}
