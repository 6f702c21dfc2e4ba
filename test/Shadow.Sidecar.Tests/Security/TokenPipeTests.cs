using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Shadow.Sidecar.Contracts;
using Shadow.Testing;
using Shouldly;

namespace Shadow.Sidecar.Tests.Security;

/// <summary><c>--token-pipe</c>: the token arrives on a FIFO after start (how a microVM guest's sidecar gets it).</summary>
public sealed class TokenPipeTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TokenPipe_BeforeToken_Answers503ThenServesWithTheToken()
    {
        // Arrange
        using var dir = new TempDirectory();
        var workspace = dir.CreateSubdirectory("ws");
        var pipe = dir.Combine("token");
        MakeFifo(pipe);
        using var process = StartWithPipe(workspace, dir.Combine("state"), pipe, out var output);
        try
        {
            var baseAddress = await WaitForListeningAsync(process, output);
            using var http = new HttpClient { BaseAddress = baseAddress };
            using (var early = await http.GetAsync(SidecarRoutes.Health, Ct))
            {
                early.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
                (await early.Content.ReadAsStringAsync(Ct)).ShouldContain("waiting for its bearer token");
            }

            // Act: a line of the wrong length first (refused), then the real token.
            await WriteLineAsync(pipe, "short");
            await WriteLineAsync(pipe, "0123456789abcdef0123456789");
            var health = await PollHealthAsync(http);

            // Assert
            health.ShouldBe(HttpStatusCode.OK);
            File.Exists(pipe).ShouldBeFalse("the FIFO is removed once the token arrived");
            using var anonymous = await http.GetAsync(SidecarRoutes.Status, Ct);
            anonymous.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
            using var request = new HttpRequestMessage(HttpMethod.Get, SidecarRoutes.Status);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "0123456789abcdef0123456789");
            using var status = await http.SendAsync(request, Ct);
            status.StatusCode.ShouldBe(HttpStatusCode.OK);
            Output(output).ShouldContain("Refused a token line of 5 characters");
            Output(output).ShouldNotContain("0123456789abcdef0123456789");
        }
        finally
        {
            process.Kill();
            await process.WaitForExitAsync(Ct);
        }
    }

    [Fact]
    public async Task TokenPipe_StopWhileWaiting_ExitsPromptly()
    {
        // Arrange
        using var dir = new TempDirectory();
        var pipe = dir.Combine("token");
        MakeFifo(pipe);
        using var process = StartWithPipe(dir.CreateSubdirectory("ws"), dir.Combine("state"), pipe, out var output);
        await WaitForListeningAsync(process, output);
        var stopwatch = Stopwatch.StartNew();

        // Act
        using (var term = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await term.WaitForExitAsync(Ct);
        }

        await process.WaitForExitAsync(Ct).WaitAsync(TimeSpan.FromSeconds(15), Ct);

        // Assert: the blocked FIFO open did not hold the shutdown for its 10 s timeout.
        stopwatch.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(5));
        process.ExitCode.ShouldBe(0, Output(output));
    }

    [Fact]
    public async Task TokenPipe_WithEnvironmentTokenToo_RefusesToStart()
    {
        // Arrange
        using var dir = new TempDirectory();
        var pipe = dir.Combine("token");
        MakeFifo(pipe);
        var psi = SidecarProcess.CreateStartInfo(dir.CreateSubdirectory("ws"), dir.Combine("state"), "0123456789abcdef0123", ["--token-pipe", pipe]);

        // Act
        using var process = Process.Start(psi)!;
        var stderr = await process.StandardError.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct);

        // Assert
        process.ExitCode.ShouldBe(2);
        stderr.ShouldContain("--token-pipe");
    }

    [Fact]
    public async Task TokenPipe_Missing_RefusesNamingTheSetting()
    {
        using var dir = new TempDirectory();
        var psi = SidecarProcess.CreateStartInfo(dir.CreateSubdirectory("ws"), dir.Combine("state"), "unused-token-000000", ["--token-pipe", dir.Combine("nope")]);
        psi.Environment.Remove("SHADOW_SIDECAR_TOKEN");

        using var process = Process.Start(psi)!;
        var stderr = await process.StandardError.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct);

        process.ExitCode.ShouldBe(2);
        stderr.ShouldContain("--token-pipe");
        stderr.ShouldContain("does not exist");
    }

    private static void MakeFifo(string path)
    {
        using var mkfifo = Process.Start("mkfifo", ["-m", "600", path]);
        mkfifo.WaitForExit();
        mkfifo.ExitCode.ShouldBe(0);
    }

    private static Process StartWithPipe(string workspace, string stateDir, string pipe, out StringBuilder output)
    {
        var psi = SidecarProcess.CreateStartInfo(workspace, stateDir, "unused-token-000000", ["--token-pipe", pipe]);
        psi.Environment.Remove("SHADOW_SIDECAR_TOKEN");
        var process = new Process { StartInfo = psi };
        var lines = new StringBuilder();
        output = lines;
        process.OutputDataReceived += (_, e) => { lock (lines) { lines.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (lines) { lines.AppendLine(e.Data); } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static string Output(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }

    private static async Task<Uri> WaitForListeningAsync(Process process, StringBuilder output)
    {
        const string Marker = "SHADOW_SIDECAR_LISTENING ";
        var stopwatch = Stopwatch.StartNew();
        while (stopwatch.Elapsed < TimeSpan.FromSeconds(30))
        {
            var line = Output(output).Split('\n').FirstOrDefault(l => l.StartsWith(Marker, StringComparison.Ordinal));
            if (line is not null)
            {
                return new Uri(line[Marker.Length..].Trim().TrimEnd('/') + "/");
            }

            process.HasExited.ShouldBeFalse(Output(output));
            await Task.Delay(50, Ct);
        }

        throw new TimeoutException("The sidecar did not listen within 30 s: " + Output(output));
    }

    private static async Task WriteLineAsync(string pipe, string line)
    {
        // Opening the write end waits for the sidecar's reader.
        await using var writer = new StreamWriter(new FileStream(pipe, FileMode.Open, FileAccess.Write));
        await writer.WriteLineAsync(line);
    }

    private static async Task<HttpStatusCode> PollHealthAsync(HttpClient http)
    {
        var stopwatch = Stopwatch.StartNew();
        while (true)
        {
            using var response = await http.GetAsync(SidecarRoutes.Health, Ct);
            if (response.StatusCode == HttpStatusCode.OK || stopwatch.Elapsed > TimeSpan.FromSeconds(10))
            {
                return response.StatusCode;
            }

            await Task.Delay(20, Ct);
        }
    }
}
