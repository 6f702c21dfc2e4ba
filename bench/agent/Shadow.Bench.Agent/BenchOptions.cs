using System.Globalization;

namespace Shadow.Bench.Agent;

/// <summary>Command-line settings of the agent benchmark.</summary>
internal sealed class BenchOptions
{
    public const string Usage = """
        Shadow.Bench.Agent: agent overhead per step, bytes written per step, and commit + push of a turn, on a real in-process silo.

          --sidecar <path>           the Native AOT Shadow.Sidecar binary the local runtime spawns           [required]
          --repo <dir>               bare git repo of 200 files made by run.sh (data/read-4k.txt)            [required]
          --steps <n>                todo_write calls of the measured turn (each is a model step + a tool step)
                                                                                        (default 200; quick 40)
          --read-steps <n>           read_file calls of the sidecar turn               (default 50; quick 10)
          --warmup-steps <n>         todo_write calls of the warm-up turn (the prompt's turn, not measured)
                                                                                        (default 20; quick 5)
          --commits <n>              measured commits, for each of the two commit rows (default 50; quick 10)
          --out <file>               JSON results                                      (default results/latest.json)
          --meta <key>=<value>       extra fact to record in the JSON (repeatable)
          --keep                     keep the temp folder (data dir, script, shadow.db) and print its path
          --quick                    smoke run (explicit options win)
          --strict                   exit 1 when a target is missed (default: only harness errors exit 1)
        """;

    public string SidecarPath { get; private set; } = string.Empty;

    public string Repo { get; private set; } = string.Empty;

    public int Steps { get; private set; }

    public int ReadSteps { get; private set; }

    public int WarmupSteps { get; private set; }

    public int Commits { get; private set; }

    public string Out { get; private set; } = Path.Combine("results", "latest.json");

    public Dictionary<string, string> Meta { get; } = new(StringComparer.Ordinal);

    public bool Keep { get; private set; }

    public bool Quick { get; private set; }

    public bool Strict { get; private set; }

    public static BenchOptions Parse(string[] args)
    {
        var o = new BenchOptions();
        int? steps = null, readSteps = null, warmup = null, commits = null;
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{name} needs a value.");
            switch (name)
            {
                case "--sidecar": o.SidecarPath = Path.GetFullPath(Value()); break;
                case "--repo": o.Repo = Path.GetFullPath(Value()); break;
                case "--steps": steps = PositiveInt(name, Value()); break;
                case "--read-steps": readSteps = PositiveInt(name, Value()); break;
                case "--warmup-steps": warmup = PositiveInt(name, Value()); break;
                case "--commits": commits = PositiveInt(name, Value()); break;
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
                case "--keep": o.Keep = true; break;
                case "--quick": o.Quick = true; break;
                case "--strict": o.Strict = true; break;
                default: throw new ArgumentException($"Unknown option '{name}'.");
            }
        }

        o.Steps = steps ?? (o.Quick ? 40 : 200);
        o.ReadSteps = readSteps ?? (o.Quick ? 10 : 50);
        o.WarmupSteps = warmup ?? (o.Quick ? 5 : 20);
        o.Commits = commits ?? (o.Quick ? 10 : 50);

        // Every step publishes about two events and the task's feed keeps the last 4,096: the bench reads them all.
        if (o.Steps + o.ReadSteps + o.WarmupSteps > 900)
        {
            throw new ArgumentException("--steps + --read-steps + --warmup-steps must stay at most 900 (the task's event feed keeps 4,096 events).");
        }

        if (!File.Exists(o.SidecarPath))
        {
            throw new ArgumentException("--sidecar <Shadow.Sidecar binary> is required and must exist (run.sh publishes it).");
        }

        if (!Directory.Exists(o.Repo))
        {
            throw new ArgumentException("--repo <bare repo> is required and must exist (run.sh creates it).");
        }

        return o;
    }

    private static int PositiveInt(string name, string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : throw new ArgumentException($"{name} expects a positive integer, got '{text}'.");
}
