using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Shadow.Grains.Runtime.MicroVm;

/// <summary>One QEMU process and its sockets (see <see cref="QemuVmm"/>).</summary>
internal sealed partial class QemuVirtualMachine : IVirtualMachine
{
    private const int MaxLines = 30;
    private const int MaxConsoleCommandLength = 2000;

    private readonly Process _process;
    private readonly string _directory;
    private readonly Queue<string> _lines = new();
    private readonly SemaphoreSlim _control = new(1, 1);
    private readonly SemaphoreSlim _console = new(1, 1);
    private QmpClient? _qmp;
    private Socket? _controlSocket;
    private int? _port;

    public QemuVirtualMachine(Process process, string directory, string? startTime)
    {
        _process = process;
        _directory = directory;
        ProcessId = process.Id;
        ProcessStartTime = startTime;
        process.OutputDataReceived += (_, e) => Remember(e.Data);
        process.ErrorDataReceived += (_, e) => Remember(e.Data);
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int ProcessId { get; }

    public string? ProcessStartTime { get; }

    public string ConsoleLogPath => Path.Combine(_directory, "console.log");

    public bool HasExited
    {
        get
        {
            try
            {
                return _process.HasExited;
            }
            catch (InvalidOperationException)
            {
                return true;
            }
        }
    }

    public string ExitDetail()
    {
        string code;
        try
        {
            code = _process.HasExited ? _process.ExitCode.ToString(CultureInfo.InvariantCulture) : "(still running)";
        }
        catch (InvalidOperationException)
        {
            code = "(unknown)";
        }

        string output;
        lock (_lines)
        {
            output = string.Join('\n', _lines);
        }

        return $"QEMU exited with code {code}.{(output.Length > 0 ? " Last output:\n" + output : " It wrote nothing.")}";
    }

    /// <summary>Connects QMP once QEMU created its socket; fails early when QEMU exits (bad arguments, KVM refused).</summary>
    public async Task ConnectAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var path = Path.Combine(_directory, "qmp.sock");
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            if (HasExited)
            {
                await WaitOutputAsync().ConfigureAwait(false);
                throw new InvalidOperationException(ExitDetail());
            }

            if (File.Exists(path))
            {
                try
                {
                    _qmp = await QmpClient.ConnectAsync(path, cancellationToken).ConfigureAwait(false);
                    return;
                }
                catch (Exception e) when (e is SocketException or IOException)
                {
                    // Not listening yet.
                }
            }

            if (Stopwatch.GetElapsedTime(started) > timeout)
            {
                throw new TimeoutException($"QEMU did not open its control socket within {timeout.TotalSeconds:0} s.");
            }

            await Task.Delay(2, cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task WaitRunningAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var qmp = _qmp ?? throw new InvalidOperationException("Not connected.");
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            string status;
            try
            {
                status = await qmp.QueryStatusAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (IOException) when (HasExited)
            {
                await WaitOutputAsync().ConfigureAwait(false);
                throw new InvalidOperationException(ExitDetail());
            }

            if (status == "running")
            {
                return;
            }

            if (status is not ("inmigrate" or "prelaunch" or "paused" or "restore-vm"))
            {
                throw new InvalidOperationException($"The VM is '{status}' instead of running.");
            }

            if (Stopwatch.GetElapsedTime(started) > timeout)
            {
                throw new TimeoutException($"The VM was still '{status}' after {timeout.TotalSeconds:0.#} s.");
            }

            await Task.Delay(2, cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<int> GetForwardedPortAsync(CancellationToken cancellationToken)
    {
        if (_port is { } known)
        {
            return known;
        }

        var qmp = _qmp ?? throw new InvalidOperationException("Not connected.");
        var table = await qmp.HumanAsync("info usernet", cancellationToken).ConfigureAwait(false);
        var match = HostForwardLine().Match(table);
        if (!match.Success)
        {
            throw new InvalidOperationException($"QEMU reports no host forward: {table}");
        }

        _port = int.Parse(match.Groups[1].ValueSpan, CultureInfo.InvariantCulture);
        return _port.Value;
    }

    public async Task SendControlAsync(string line, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(line);
        if (line.Contains('\n', StringComparison.Ordinal))
        {
            throw new ArgumentException("A control line holds no newline.", nameof(line));
        }

        await _control.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_controlSocket is null)
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(Path.Combine(_directory, "control.sock")), cancellationToken).ConfigureAwait(false);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }

                _controlSocket = socket;
            }

            await _controlSocket.SendAsync(Encoding.UTF8.GetBytes(line + "\n"), SocketFlags.None, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _control.Release();
        }
    }

    public async Task SaveStateAsync(string path, CancellationToken cancellationToken)
    {
        var qmp = _qmp ?? throw new InvalidOperationException("Not connected.");
        await qmp.ExecuteAsync("migrate", new JsonObject { ["uri"] = $"exec:cat > {QemuVmm.ShellQuote(path)}" }, cancellationToken).ConfigureAwait(false);
        while (true)
        {
            var info = await qmp.ExecuteAsync("query-migrate", null, cancellationToken).ConfigureAwait(false);
            var status = info?["status"]?.GetValue<string>();
            if (status == "completed")
            {
                return;
            }

            if (status is "failed" or "cancelled")
            {
                throw new InvalidOperationException($"Saving the VM state failed: {info?["error-desc"]?.GetValue<string>() ?? status}");
            }

            await Task.Delay(10, cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<ConsoleExecResult> ExecOnConsoleAsync(string command, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(command);
        if (command.Length > MaxConsoleCommandLength || command.Any(c => c is '\n' or '\r'))
        {
            throw new ArgumentException($"A console command is one line of at most {MaxConsoleCommandLength} characters.", nameof(command));
        }

        // The console echoes what it is sent, so the markers are computed by the guest's shell: the echoed line holds
        // "$((n+1))", only the command's real output holds the number.
        var nonce = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        var n = RandomNumberGenerator.GetInt32(1000, 1_000_000);
        var begin = string.Create(CultureInfo.InvariantCulture, $"SHADOW-BEGIN-{nonce}-{n + 1}");
        var end = string.Create(CultureInfo.InvariantCulture, $"SHADOW-END-{nonce}-{n + 1}-");
        var quoted = "'" + command.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
        var line = string.Create(CultureInfo.InvariantCulture,
            $"stty -echo 2>/dev/null; echo SHADOW-BEGIN-{nonce}-$(({n}+1)); sh -c {quoted} </dev/null 2>&1; echo SHADOW-END-{nonce}-$(({n}+1))-$?\n");

        await _console.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            cts.CancelAfter(timeout);
            try
            {
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(Path.Combine(_directory, "console.sock")), cts.Token).ConfigureAwait(false);
                // A fresh line first, in case something half-typed is pending at the prompt.
                await socket.SendAsync(Encoding.UTF8.GetBytes("\n" + line), SocketFlags.None, cts.Token).ConfigureAwait(false);
                var text = new StringBuilder();
                var buffer = new byte[4096];
                while (true)
                {
                    var read = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token).ConfigureAwait(false);
                    if (read == 0)
                    {
                        throw new IOException("The console closed.");
                    }

                    text.Append(Encoding.UTF8.GetString(buffer, 0, read));
                    if (TryParse(text.ToString().Replace("\r", string.Empty, StringComparison.Ordinal), begin, end) is { } result)
                    {
                        return result;
                    }
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"The console command did not finish within {timeout.TotalSeconds:0.#} s.");
            }
        }
        finally
        {
            _console.Release();
        }
    }

    internal static ConsoleExecResult? TryParse(string text, string begin, string end)
    {
        var start = text.IndexOf(begin + "\n", StringComparison.Ordinal);
        if (start < 0)
        {
            return null;
        }

        start += begin.Length + 1;
        var stop = text.IndexOf(end, start, StringComparison.Ordinal);
        if (stop < 0)
        {
            return null;
        }

        var codeStart = stop + end.Length;
        var newline = text.IndexOf('\n', codeStart);
        if (newline < 0)
        {
            return null;
        }

        var code = int.TryParse(text.AsSpan(codeStart, newline - codeStart), NumberStyles.Integer, CultureInfo.InvariantCulture, out var c) ? c : -1;
        return new ConsoleExecResult(code, text[start..stop]);
    }

    public long? ResidentBytes()
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{ProcessId}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    var kb = line["VmRSS:".Length..].Trim().Split(' ')[0];
                    return long.Parse(kb, CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            // Gone.
        }

        return null;
    }

    public async Task KillAsync()
    {
        if (!HasExited)
        {
            try
            {
                _process.Kill();
            }
            catch (Exception e) when (e is InvalidOperationException or Win32Exception)
            {
                // Exited meanwhile.
            }
        }

        await WaitOutputAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync().ConfigureAwait(false);
        if (_qmp is { } qmp)
        {
            await qmp.DisposeAsync().ConfigureAwait(false);
        }

        _controlSocket?.Dispose();
        _process.Dispose();
        _control.Dispose();
        _console.Dispose();
    }

    private async Task WaitOutputAsync()
    {
        try
        {
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException)
        {
            // Its pipes are held elsewhere (a git daemon it spawned); what was read so far has to do.
        }
    }

    private void Remember(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_lines)
        {
            if (_lines.Count == MaxLines)
            {
                _lines.Dequeue();
            }

            _lines.Enqueue(line);
        }
    }

    [GeneratedRegex(@"HOST_FORWARD\]\s+\d+\s+127\.0\.0\.1\s+(\d+)")]
    private static partial Regex HostForwardLine();
}
