using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Shadow.Testing;

/// <summary>
/// A real PostgreSQL server for tests. <c>SHADOW_TEST_POSTGRES</c> (set by <c>.ci/run</c>) names a running one; otherwise, when
/// the PostgreSQL server binaries are installed (Debian: <c>apt-get install postgresql</c>), one is started for this test
/// process on a temporary folder and a free loopback port (as the <c>postgres</c> user when running as root) and stopped when
/// the process exits. Each test gets a database of its own from <see cref="CreateDatabaseAsync"/>.
/// </summary>
public sealed class TestPostgres
{
    /// <summary>The environment variable holding an admin connection string to a running server (superuser, may create databases).</summary>
    public const string EnvironmentVariable = "SHADOW_TEST_POSTGRES";

    private static readonly Lazy<Task<TestPostgres>> Shared = new(StartAsync);

    private readonly string? _adminConnectionString;

    private TestPostgres(string? adminConnectionString, string? unavailableReason)
    {
        _adminConnectionString = adminConnectionString;
        UnavailableReason = unavailableReason;
    }

    /// <summary>Why there is no server (null when there is one): tests skip with this reason.</summary>
    public string? UnavailableReason { get; }

    /// <summary>The one server of this test process (started on first use).</summary>
    public static Task<TestPostgres> GetAsync() => Shared.Value;

    /// <summary>A new empty database; returns its connection string (user <c>postgres</c>, no password needed on loopback).</summary>
    public async Task<string> CreateDatabaseAsync(string prefix = "shadow")
    {
        if (_adminConnectionString is null)
        {
            throw new InvalidOperationException(UnavailableReason);
        }

        var name = $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 17, 60)].ToLowerInvariant();
        await using (var connection = new NpgsqlConnection(_adminConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await command.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(_adminConnectionString) { Database = name }.ConnectionString;
    }

    private static async Task<TestPostgres> StartAsync()
    {
        var given = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(given))
        {
            return new TestPostgres(given, null);
        }

        var bin = FindBinaries();
        if (bin is null)
        {
            return new TestPostgres(null,
                $"PostgreSQL is not available: {EnvironmentVariable} is not set and no initdb/pg_ctl were found under /usr/lib/postgresql/*/bin "
                + "(install the Debian package postgresql, or run .ci/run).");
        }

        var root = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"shadow-pg-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40]);
        var data = System.IO.Path.Combine(root, "data");
        Directory.CreateDirectory(root);
        var asRoot = Environment.UserName == "root";
        if (asRoot)
        {
            // The server refuses to run as root: the folder becomes postgres's.
            await RunAsync("chown", ["-R", "postgres:postgres", root]);
        }

        var port = FreePort();
        await RunPgAsync(asRoot, System.IO.Path.Combine(bin, "initdb"), ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]);
        await RunPgAsync(asRoot, System.IO.Path.Combine(bin, "pg_ctl"),
            ["-D", data, "-l", System.IO.Path.Combine(root, "server.log"), "-w", "-t", "60",
             "-o", $"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300", "start"]);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Stop(asRoot, bin, data, root);
        return new TestPostgres($"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres", null);
    }

    private static void Stop(bool asRoot, string bin, string data, string root)
    {
        try
        {
            RunPgAsync(asRoot, System.IO.Path.Combine(bin, "pg_ctl"), ["-D", data, "-m", "immediate", "-w", "stop"]).GetAwaiter().GetResult();
            Directory.Delete(root, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            // Best effort at process exit.
        }
    }

    private static string? FindBinaries()
    {
        const string Debian = "/usr/lib/postgresql";
        if (!Directory.Exists(Debian))
        {
            return null;
        }

        return Directory.EnumerateDirectories(Debian)
            .Select(d => System.IO.Path.Combine(d, "bin"))
            .Where(b => File.Exists(System.IO.Path.Combine(b, "initdb")) && File.Exists(System.IO.Path.Combine(b, "pg_ctl")))
            .OrderByDescending(b => int.TryParse(new DirectoryInfo(System.IO.Path.GetDirectoryName(b)!).Name, out var v) ? v : 0)
            .FirstOrDefault();
    }

    private static Task RunPgAsync(bool asRoot, string program, IReadOnlyList<string> arguments) =>
        asRoot ? RunAsync("runuser", ["-u", "postgres", "--", program, .. arguments]) : RunAsync(program, arguments);

    private static async Task RunAsync(string program, IReadOnlyList<string> arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = "/" };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Cannot start {program}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited with {process.ExitCode}: {await stderr}{await stdout}");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
