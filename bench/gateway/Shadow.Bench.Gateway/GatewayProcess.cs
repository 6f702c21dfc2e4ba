using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace Shadow.Bench.Gateway;

/// <summary>
/// The real gateway as a child process (<c>dotnet Shadow.Gateway.dll</c>), co-hosting the silo, with its own data folder,
/// free ports and one API key. Its output goes to <c>&lt;data&gt;/../gateway-&lt;label&gt;.log</c>.
/// </summary>
internal sealed class GatewayProcess : IAsyncDisposable
{
    public const string UserId = "bench";
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(30);

    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly Queue<string> _tail = new();

    private GatewayProcess(string label, Process process, StreamWriter log, Uri baseAddress, string apiKey, string dataDir, string sidecarPath)
    {
        Label = label;
        _process = process;
        _log = log;
        BaseAddress = baseAddress;
        ApiKey = apiKey;
        DataDir = dataDir;
        SidecarPath = sidecarPath;
    }

    public string Label { get; }

    public Uri BaseAddress { get; }

    public string ApiKey { get; }

    public string DataDir { get; }

    public string SidecarPath { get; }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The last lines the gateway printed (for failure messages).</summary>
    public string Tail
    {
        get
        {
            lock (_tail)
            {
                return string.Join('\n', _tail);
            }
        }
    }

    public static async Task<GatewayProcess> StartAsync(string label, string gatewayDll, string sidecarPath, int warmPoolSize, string tempRoot,
        CancellationToken cancellationToken)
    {
        var dataDir = Path.Combine(tempRoot, $"data-{label}");
        Directory.CreateDirectory(dataDir);
        var apiKey = "bench-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        var port = FreePort();
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = tempRoot,
        };
        foreach (var arg in (string[])[gatewayDll, "--urls", $"http://127.0.0.1:{port}"])
        {
            psi.ArgumentList.Add(arg);
        }

        psi.Environment["Shadow__DataDir"] = dataDir;
        psi.Environment[$"Shadow__Auth__ApiKeys__{apiKey}"] = UserId;
        psi.Environment["Shadow__Runtime__Local__SidecarPath"] = sidecarPath;
        psi.Environment["Shadow__Runtime__Local__WarmPoolSize"] = warmPoolSize.ToString(CultureInfo.InvariantCulture);
        psi.Environment["Shadow__Orleans__SiloPort"] = FreePort().ToString(CultureInfo.InvariantCulture);
        psi.Environment["Shadow__Orleans__GatewayPort"] = FreePort().ToString(CultureInfo.InvariantCulture);
        psi.Environment["DOTNET_ENVIRONMENT"] = "Production";
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        // The gateway ships no appsettings.json, so ASP.NET would log two Information lines per request to the console;
        // the usual production setting (Microsoft.AspNetCore at Warning) is applied here. Everything else keeps its default.
        psi.Environment["Logging__LogLevel__Microsoft.AspNetCore"] = "Warning";

        var log = new StreamWriter(Path.Combine(tempRoot, $"gateway-{label}.log")) { AutoFlush = true };
        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var gateway = new GatewayProcess(label, process, log, new Uri($"http://127.0.0.1:{port}/"), apiKey, dataDir, sidecarPath);
        process.OutputDataReceived += (_, e) => gateway.Append(e.Data);
        process.ErrorDataReceived += (_, e) => gateway.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var start = Stopwatch.GetTimestamp();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (process.HasExited)
            {
                throw new BenchException($"The gateway ({label}) exited with {process.ExitCode} before it answered /healthz:\n{gateway.Tail}");
            }

            try
            {
                using var response = await http.GetAsync(new Uri(gateway.BaseAddress, "healthz"), cancellationToken).ConfigureAwait(false);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    break;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                // Not listening yet.
            }

            if (Stopwatch.GetElapsedTime(start) > ReadyTimeout)
            {
                throw new BenchException($"The gateway ({label}) did not answer /healthz 200 within {ReadyTimeout.TotalSeconds:0} s:\n{gateway.Tail}");
            }

            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }

        Console.WriteLine($"   gateway '{label}' (pid {process.Id}, WarmPoolSize={warmPoolSize}) ready in {Stopwatch.GetElapsedTime(start).TotalSeconds:0.0} s at {gateway.BaseAddress}");
        return gateway;
    }

    public (long Rss, long Peak) ReadMemory() => ProcMemory.Read(ProcessId);

    /// <summary>Bytes of <c>shadow.db</c> plus its <c>-wal</c> (and <c>-shm</c>).</summary>
    public long StoreBytes() =>
        new[] { "shadow.db", "shadow.db-wal", "shadow.db-shm" }.Select(f => new FileInfo(Path.Combine(DataDir, f))).Where(f => f.Exists).Sum(f => f.Length);

    /// <summary>Warm-pool instances not handed out yet (<c>&lt;DataDir&gt;/runtime/warm/*</c>; marked when their start begins).</summary>
    public int WarmRecords()
    {
        var dir = Path.Combine(DataDir, "runtime", "warm");
        return Directory.Exists(dir) ? Directory.EnumerateFiles(dir).Count() : 0;
    }

    /// <summary>Stops the gateway with SIGTERM (so it stops its sidecars), SIGKILL after <see cref="StopTimeout"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync().ConfigureAwait(false);
            }

            using var timeout = new CancellationTokenSource(StopTimeout);
            try
            {
                await _process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                Console.WriteLine($"   gateway '{Label}' did not stop within {StopTimeout.TotalSeconds:0} s of SIGTERM; killing it");
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().ConfigureAwait(false);
            }
        }

        _process.Dispose();
        await _log.DisposeAsync().ConfigureAwait(false);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_tail)
        {
            _log.WriteLine(line);
            _tail.Enqueue(line);
            while (_tail.Count > 60)
            {
                _tail.Dequeue();
            }
        }
    }
}

/// <summary>Processes found through <c>/proc</c>: sidecars by their executable, CPU time by pid.</summary>
internal static class Procs
{
    private static readonly double TicksPerSecond = 100; // USER_HZ on Linux

    /// <summary>Pids whose <c>/proc/&lt;pid&gt;/exe</c> is <paramref name="executable"/>.</summary>
    public static List<int> FindByExecutable(string executable)
    {
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                if (new FileInfo(Path.Combine(dir, "exe")).LinkTarget is { } target && target == executable)
                {
                    found.Add(pid);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Gone, or not ours to read.
            }
        }

        return found;
    }

    /// <summary>User + system CPU seconds of a process (0 when it is gone).</summary>
    public static double CpuSeconds(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // After "pid (comm) ": state is field 3, utime field 14, stime field 15 (1-based over the whole line).
            return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / TicksPerSecond;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return 0;
        }
    }

    /// <summary>CPU seconds of every running process of <paramref name="executable"/>.</summary>
    public static double CpuSecondsOf(string executable) => FindByExecutable(executable).Sum(CpuSeconds);
}
