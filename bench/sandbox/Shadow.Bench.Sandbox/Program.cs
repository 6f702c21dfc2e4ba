using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Shadow.Bench.Common;
using Shadow.Sidecar.Contracts;

// usage: Shadow.Bench.Sandbox --sidecar PATH --workspace DIR [--requests N] [--gvisor-requests N] [--kinds None,Bubblewrap,GVisor]
var options = ParseArgs(args);
var sidecarPath = options.GetValueOrDefault("--sidecar") ?? throw new BenchException("--sidecar PATH is required");
var workspace = options.GetValueOrDefault("--workspace") ?? throw new BenchException("--workspace DIR is required");
var requests = int.Parse(options.GetValueOrDefault("--requests") ?? "300", CultureInfo.InvariantCulture);
var gvisorRequests = int.Parse(options.GetValueOrDefault("--gvisor-requests") ?? "30", CultureInfo.InvariantCulture);
var kinds = (options.GetValueOrDefault("--kinds") ?? "None,Bubblewrap,GVisor").Split(',', StringSplitOptions.RemoveEmptyEntries);

var rows = new List<(string Kind, string Mode, string Scenario, Stats Stats)>();
foreach (var kind in kinds)
{
    // warm: the default (2 shells started ahead, each already inside its sandbox), commands back to back; paced: the same
    // with 50 ms between commands (an agent's tool calls are seconds apart, so the pool is refilled); cold: no pool, every
    // command spawns its sandbox on the request path.
    foreach (var (mode, warmShells, paceMs) in new[] { ("warm", 2, 0), ("paced", 2, 50), ("cold", 0, 0) })
    {
        var count = kind == "GVisor" ? gvisorRequests : requests;
        var state = Path.Combine(Path.GetTempPath(), $"shadow-bench-sandbox-{Guid.NewGuid():N}");
        var token = Convert.ToHexString(RandomNumberGenerator.GetBytes(24));
        await using var sidecar = SidecarInstance.Spawn(sidecarPath, workspace, state, token,
            "--sandbox", kind, $"--Sidecar:Exec:WarmShells={warmShells}");
        var address = await sidecar.WaitListeningAsync(TimeSpan.FromSeconds(30), CancellationToken.None);
        using var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(120) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        foreach (var (scenario, command) in new[] { ("echo hi", "echo hi"), ("git status (200 files)", "git status --porcelain") })
        {
            // Give the warm pool its head start, as between an agent's tool calls; then measure back to back.
            await Task.Delay(500);
            for (var i = 0; i < Math.Min(10, count); i++)
            {
                await ExecAsync(http, command);
            }

            var ticks = new long[count];
            for (var i = 0; i < count; i++)
            {
                if (paceMs > 0)
                {
                    await Task.Delay(paceMs);
                }

                var start = Stopwatch.GetTimestamp();
                await ExecAsync(http, command);
                ticks[i] = Stopwatch.GetTimestamp() - start;
            }

            var stats = Stats.FromTicks(ticks);
            rows.Add((kind, mode, scenario, stats));
            Console.WriteLine($"   {kind,-10} {mode,-5} {scenario,-22} n={count,4} p50 {Table.F(stats.P50Ms, 2),7} ms  p99 {Table.F(stats.P99Ms, 2),7} ms");
        }

        try
        {
            Directory.Delete(state, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }
}

var report = new StringBuilder();
Table.Render(report, ["sandbox", "shells", "command", "p50 ms", "p99 ms", "p50 overhead vs None", "target"],
    rows.Select(r =>
    {
        var baseline = rows.FirstOrDefault(b => b.Kind == "None" && b.Mode == r.Mode && b.Scenario == r.Scenario);
        var overhead = baseline.Kind is null || r.Kind == "None" ? "-" : Table.F(r.Stats.P50Ms - baseline.Stats.P50Ms, 2) + " ms";
        var target = r.Kind == "Bubblewrap" && baseline.Kind is not null
            ? (r.Stats.P50Ms - baseline.Stats.P50Ms < 5 ? "< 5 ms: pass" : "< 5 ms: FAIL")
            : "-";
        return (IReadOnlyList<string>)[r.Kind, r.Mode, r.Scenario, Table.F(r.Stats.P50Ms, 2), Table.F(r.Stats.P99Ms, 2), overhead, target];
    }));
Console.WriteLine();
Console.Write(report);
return 0;

static async Task ExecAsync(HttpClient http, string command)
{
    var body = $$"""{"command":"{{command}}","timeoutSeconds":60}""";
    using var response = await http.PostAsync(SidecarRoutes.Exec.Run, new StringContent(body, Encoding.UTF8, "application/json"));
    var text = await response.Content.ReadAsStringAsync();
    if (!response.IsSuccessStatusCode || !text.Contains("\"exitCode\":0", StringComparison.Ordinal))
    {
        throw new BenchException($"'{command}' failed: {(int)response.StatusCode} {text}");
    }
}

static Dictionary<string, string> ParseArgs(string[] args)
{
    var parsed = new Dictionary<string, string>(StringComparer.Ordinal);
    for (var i = 0; i + 1 < args.Length; i += 2)
    {
        parsed[args[i]] = args[i + 1];
    }

    return parsed;
}
