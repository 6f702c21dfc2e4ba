using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Shadow.Grains.Runtime.MicroVm;

/// <summary>
/// A minimal client of QEMU's machine protocol (QMP): JSON lines over a Unix socket. One command at a time; events that
/// arrive in between are skipped.
/// </summary>
internal sealed class QmpClient : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly StreamReader _reader;
    private readonly Stream _stream;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private long _nextId;

    private QmpClient(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: false);
        _reader = new StreamReader(_stream, Encoding.UTF8);
    }

    /// <summary>Connects to <paramref name="socketPath"/>, reads the greeting and leaves capabilities negotiation mode.</summary>
    public static async Task<QmpClient> ConnectAsync(string socketPath, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var client = new QmpClient(socket);
        try
        {
            var greeting = await client._reader.ReadLineAsync(cancellationToken).ConfigureAwait(false);
            if (greeting is null || !greeting.Contains("\"QMP\"", StringComparison.Ordinal))
            {
                throw new IOException($"Not a QMP greeting: {greeting ?? "(closed)"}");
            }

            await client.ExecuteAsync("qmp_capabilities", null, cancellationToken).ConfigureAwait(false);
            return client;
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Runs <paramref name="command"/> and answers its <c>return</c> value; a QMP error throws <see cref="IOException"/>.</summary>
    public async Task<JsonNode?> ExecuteAsync(string command, JsonObject? arguments, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var id = Interlocked.Increment(ref _nextId);
            var request = new JsonObject { ["execute"] = command, ["id"] = id };
            if (arguments is not null)
            {
                request["arguments"] = arguments;
            }

            var bytes = Encoding.UTF8.GetBytes(request.ToJsonString() + "\n");
            await _stream.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
            while (true)
            {
                var line = await _reader.ReadLineAsync(cancellationToken).ConfigureAwait(false)
                    ?? throw new IOException($"QMP closed the connection during '{command}' (the VM exited).");
                JsonNode? reply;
                try
                {
                    reply = JsonNode.Parse(line);
                }
                catch (JsonException)
                {
                    continue;
                }

                if (reply is not JsonObject obj || obj.ContainsKey("event"))
                {
                    continue;
                }

                if (obj["error"] is JsonObject error)
                {
                    throw new IOException($"QMP '{command}' failed: {error["desc"]?.GetValue<string>() ?? error.ToJsonString()}");
                }

                if (obj.ContainsKey("return"))
                {
                    return obj["return"];
                }
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The run state (<c>running</c>, <c>inmigrate</c>, <c>paused</c>, <c>postmigrate</c>, ...).</summary>
    public async Task<string> QueryStatusAsync(CancellationToken cancellationToken) =>
        (await ExecuteAsync("query-status", null, cancellationToken).ConfigureAwait(false))?["status"]?.GetValue<string>() ?? "unknown";

    /// <summary>A human monitor command's text output (e.g. <c>info usernet</c>, which QMP has no command for).</summary>
    public async Task<string> HumanAsync(string commandLine, CancellationToken cancellationToken) =>
        (await ExecuteAsync("human-monitor-command", new JsonObject { ["command-line"] = commandLine }, cancellationToken).ConfigureAwait(false))
            ?.GetValue<string>() ?? string.Empty;

    public async ValueTask DisposeAsync()
    {
        _reader.Dispose();
        await _stream.DisposeAsync().ConfigureAwait(false);
        _socket.Dispose();
        _gate.Dispose();
    }
}
