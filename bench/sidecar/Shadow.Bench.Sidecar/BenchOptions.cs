using System.Globalization;

namespace Shadow.Bench.Sidecar;

/// <summary>One sidecar build to measure: a label (<c>aot</c>, <c>jit</c>) and the executable (or a <c>.dll</c> run with <c>dotnet</c>).</summary>
internal sealed record SidecarTarget(string Label, string Path);

/// <summary>Command-line settings of the load generator.</summary>
internal sealed class BenchOptions
{
    public const string Usage = """
        Shadow.Bench.Sidecar: measures a Shadow sidecar (latency, throughput, cold start, RSS).

          --workspace <dir>          git workspace prepared by run.sh (data/read-4k.txt, scratch/write-4k.txt, list20/)  [required]
          --sidecar <label>=<path>   a sidecar executable (or .dll) to measure; repeat for several        [required]
          --requests <n>             sequential requests per scenario after warm-up   (default 2000)
          --warmup <n>               warm-up requests per scenario                    (default 200)
          --duration <s>             seconds of the concurrent phase                  (default 10)
          --concurrency <n>          concurrent connections                           (default 10)
          --cold-runs <n>            cold starts per sidecar                          (default 5)
          --idle-wait <s>            seconds to wait before reading idle RSS          (default 2)
          --scenarios <a,b,...>      only these of: health,read,write,list,exec,git-status
          --out <file>               JSON results                                     (default results/latest.json)
          --meta <key>=<value>       extra fact to record in the JSON (repeatable)
          --quick                    smoke run: 300 requests, 50 warm-up, 2 s, 3 cold starts (explicit options win)
          --strict                   exit 1 when a target is missed (default: only harness errors exit 1)
        """;

    public string Workspace { get; private set; } = string.Empty;

    public List<SidecarTarget> Sidecars { get; } = [];

    public int Requests { get; private set; } = 2000;

    public int Warmup { get; private set; } = 200;

    public TimeSpan Duration { get; private set; } = TimeSpan.FromSeconds(10);

    public int Concurrency { get; private set; } = 10;

    public int ColdRuns { get; private set; } = 5;

    public TimeSpan IdleWait { get; private set; } = TimeSpan.FromSeconds(2);

    public HashSet<string>? Scenarios { get; private set; }

    public string Out { get; private set; } = System.IO.Path.Combine("results", "latest.json");

    public Dictionary<string, string> Meta { get; } = new(StringComparer.Ordinal);

    public bool Quick { get; private set; }

    public bool Strict { get; private set; }

    /// <summary>Parses <paramref name="args"/>; throws <see cref="ArgumentException"/> with a message naming the bad option.</summary>
    public static BenchOptions Parse(string[] args)
    {
        var o = new BenchOptions();
        int? requests = null, warmup = null, concurrency = null, coldRuns = null;
        double? duration = null;
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{name} needs a value.");
            switch (name)
            {
                case "--workspace":
                    o.Workspace = System.IO.Path.GetFullPath(Value());
                    break;
                case "--sidecar":
                    var (label, path) = SplitPair(name, Value());
                    o.Sidecars.Add(new SidecarTarget(label, System.IO.Path.GetFullPath(path)));
                    break;
                case "--requests":
                    requests = PositiveInt(name, Value());
                    break;
                case "--warmup":
                    warmup = PositiveInt(name, Value());
                    break;
                case "--duration":
                    duration = PositiveDouble(name, Value());
                    break;
                case "--concurrency":
                    concurrency = PositiveInt(name, Value());
                    break;
                case "--cold-runs":
                    coldRuns = PositiveInt(name, Value());
                    break;
                case "--idle-wait":
                    o.IdleWait = TimeSpan.FromSeconds(PositiveDouble(name, Value()));
                    break;
                case "--scenarios":
                    o.Scenarios = [.. Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
                    break;
                case "--out":
                    o.Out = Value();
                    break;
                case "--meta":
                    var (key, value) = SplitPair(name, Value());
                    o.Meta[key] = value;
                    break;
                case "--quick":
                    o.Quick = true;
                    break;
                case "--strict":
                    o.Strict = true;
                    break;
                default:
                    throw new ArgumentException($"Unknown option '{name}'.");
            }
        }

        o.Requests = requests ?? (o.Quick ? 300 : 2000);
        o.Warmup = warmup ?? (o.Quick ? 50 : 200);
        o.Duration = TimeSpan.FromSeconds(duration ?? (o.Quick ? 2 : 10));
        o.Concurrency = concurrency ?? 10;
        o.ColdRuns = coldRuns ?? (o.Quick ? 3 : 5);

        if (o.Workspace.Length == 0 || !Directory.Exists(o.Workspace))
        {
            throw new ArgumentException("--workspace <dir> is required and must exist (run.sh creates it).");
        }

        if (o.Sidecars.Count == 0)
        {
            throw new ArgumentException("At least one --sidecar <label>=<path> is required.");
        }

        foreach (var s in o.Sidecars.Where(s => !File.Exists(s.Path)))
        {
            throw new ArgumentException($"--sidecar {s.Label}: '{s.Path}' does not exist; build or publish it first.");
        }

        return o;
    }

    private static (string Key, string Value) SplitPair(string name, string text)
    {
        var eq = text.IndexOf('=', StringComparison.Ordinal);
        return eq > 0 ? (text[..eq], text[(eq + 1)..]) : throw new ArgumentException($"{name} expects <key>=<value>, got '{text}'.");
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
