using System.Runtime.InteropServices;
using Shadow.Sidecar.Hosting;

namespace Shadow.Sidecar.Security;

/// <summary>
/// With <c>--token-pipe</c>: waits for a writer on the FIFO, takes its first line as the bearer token, then deletes the FIFO.
/// A line of the wrong length is refused (logged without its content) and the reader waits for the next writer.
/// </summary>
internal sealed partial class TokenPipeReader(SidecarOptions options, SidecarToken token, ILogger<TokenPipeReader> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        // open(2) on a FIFO blocks until a writer comes: a thread of its own, released at stop by opening the write end.
        Task.Factory.StartNew(() => ReadLoop(stoppingToken), stoppingToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // Cancels the loop's token first, then waits for the loop; a reader blocked in open(2) is released by a writer.
        var stopping = base.StopAsync(cancellationToken);
        if (!stopping.IsCompleted)
        {
            var fd = Open(options.TokenPipe!, OpenWriteOnlyNonBlocking);
            if (fd >= 0)
            {
                Close(fd);
            }
        }

        await stopping.ConfigureAwait(false);
    }

    private void ReadLoop(CancellationToken stoppingToken)
    {
        var path = options.TokenPipe!;
        LogInformationWaiting(path);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // Every line until the writers close: two writers may share one open of the read end.
                using var reader = new StreamReader(new FileStream(path, FileMode.Open, FileAccess.Read));
                while (reader.ReadLine() is { } line)
                {
                    if (stoppingToken.IsCancellationRequested)
                    {
                        return;
                    }

                    var candidate = line.Trim();
                    if (token.TrySet(candidate))
                    {
                        LogInformationReceived();
                        TryDelete(path);
                        return;
                    }

                    LogWarningRefused(candidate.Length, SidecarOptions.MinTokenLength, SidecarOptions.MaxTokenLength);
                }
            }
            catch (IOException e)
            {
                LogErrorPipe(path, e.Message);
                return;
            }
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The token is in memory only; a FIFO left behind holds nothing.
        }
    }

    // O_WRONLY | O_NONBLOCK: fails (ENXIO) instead of blocking when no reader waits.
    private const int OpenWriteOnlyNonBlocking = 0x1 | 0x800;

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);

    [LoggerMessage(Level = LogLevel.Information, Message = "Waiting for the bearer token on {Path}")]
    private partial void LogInformationWaiting(string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "Bearer token received; serving requests")]
    private partial void LogInformationReceived();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused a token line of {Length} characters (want {Min} to {Max}); still waiting")]
    private partial void LogWarningRefused(int length, int min, int max);

    [LoggerMessage(Level = LogLevel.Error, Message = "Cannot read the token pipe {Path}: {Error}")]
    private partial void LogErrorPipe(string path, string error);
}
