using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Shadow.Grains.Hosting;
using Shadow.Grains.Runtime.Local;

namespace Shadow.Grains.Runtime.MicroVm;

/// <summary>
/// Builds (or finds cached) the guest image with <c>eng/microvm/build-image.sh</c>, logging its progress. When no Native
/// AOT sidecar is configured or published yet, it publishes one first (<c>dotnet publish src/Shadow.Sidecar -c Release
/// -r linux-x64 -o &lt;cache&gt;/sidecar-aot</c>) from the checkout the host runs from; delete that folder to refresh it.
/// </summary>
internal sealed partial class GuestImageBuilder(IOptions<MicroVmRuntimeOptions> options, IOptions<ShadowOptions> shadow,
    ILogger<GuestImageBuilder> logger)
{
    private const string ScriptName = "build-image.sh";

    /// <summary>Where images, kernels and saved states are cached.</summary>
    public string CacheDirectory => options.Value.CacheDir is { Length: > 0 } dir
        ? Path.GetFullPath(dir)
        : Path.Combine(shadow.Value.DataDirFullPath, "microvm", "cache");

    public async Task<GuestImage> BuildAsync(CancellationToken cancellationToken)
    {
        var script = LocateScript();
        var sidecar = await LocateOrPublishSidecarAsync(cancellationToken).ConfigureAwait(false);
        Directory.CreateDirectory(CacheDirectory);
        LogInformationBuilding(sidecar, CacheDirectory);
        var (code, lastLine, output) = await RunAsync("bash", [script, "--sidecar", Path.GetDirectoryName(sidecar)!, "--cache", CacheDirectory],
            Path.GetDirectoryName(script)!, options.Value.ImageBuildTimeout, cancellationToken).ConfigureAwait(false);
        if (code != 0 || lastLine is null || !Directory.Exists(lastLine))
        {
            throw new InvalidOperationException($"Building the microVM guest image failed (exit {code}):\n{output}");
        }

        var kernel = Path.Combine(lastLine, "vmlinux");
        var initrd = Path.Combine(lastLine, "initramfs.cpio");
        var key = Path.GetFileName(lastLine).Replace("image-", string.Empty, StringComparison.Ordinal);
        LogInformationBuilt(lastLine);
        return new GuestImage(lastLine, kernel, initrd, key);
    }

    private string LocateScript()
    {
        if (options.Value.ImageScriptPath is { Length: > 0 } configured)
        {
            return Path.GetFullPath(configured);
        }

        var candidates = new List<string> { Path.Combine(AppContext.BaseDirectory, "microvm", ScriptName) };
        if (SidecarLocator.FindRepositoryRoot(AppContext.BaseDirectory) is { } root)
        {
            candidates.Insert(0, Path.Combine(root, "eng", "microvm", ScriptName));
        }

        return candidates.FirstOrDefault(File.Exists) ?? throw new InvalidOperationException(
            $"Cannot find {ScriptName} (looked at {string.Join(", ", candidates)}); set {MicroVmRuntimeOptions.SectionName}:ImageScriptPath.");
    }

    private async Task<string> LocateOrPublishSidecarAsync(CancellationToken cancellationToken)
    {
        if (options.Value.SidecarPath is { Length: > 0 } configured)
        {
            return Path.GetFullPath(configured);
        }

        var root = SidecarLocator.FindRepositoryRoot(AppContext.BaseDirectory);
        if (root is not null && SidecarLocator.FindAotPublish(root) is { } published)
        {
            return published;
        }

        // Its own publish folder, not artifacts/publish: the Local runtime prefers an AOT publish found there.
        var own = Path.Combine(CacheDirectory, "sidecar-aot");
        if (File.Exists(Path.Combine(own, SidecarLocator.ProgramName)))
        {
            return Path.Combine(own, SidecarLocator.ProgramName);
        }

        if (SidecarLocator.NextTo(AppContext.BaseDirectory) is { } next && !SidecarLocator.IsAssembly(next))
        {
            return next;
        }

        if (root is null)
        {
            throw new InvalidOperationException(
                $"No Native AOT Shadow.Sidecar for the guest image; set {MicroVmRuntimeOptions.SectionName}:SidecarPath to one (dotnet publish src/Shadow.Sidecar -c Release -r linux-x64).");
        }

        LogInformationPublishing(root);
        var (code, _, output) = await RunAsync(SidecarLocator.DotnetHost(),
            ["publish", Path.Combine(root, "src", "Shadow.Sidecar"), "-c", "Release", "-r", "linux-x64", "-nologo", "-o", own],
            root, TimeSpan.FromMinutes(20), cancellationToken).ConfigureAwait(false);
        return code == 0 && File.Exists(Path.Combine(own, SidecarLocator.ProgramName))
            ? Path.Combine(own, SidecarLocator.ProgramName)
            : throw new InvalidOperationException($"Publishing the Native AOT sidecar for the guest image failed (exit {code}):\n{output}");
    }

    /// <summary>Runs a program, logging each stderr line as progress; answers the exit code, the last stdout line and the tail of all output.</summary>
    private async Task<(int Code, string? LastLine, string Output)> RunAsync(string program, IEnumerable<string> args, string workingDirectory,
        TimeSpan timeout, CancellationToken cancellationToken)
    {
        var psi = new ProcessStartInfo(program)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory,
        };
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }

        var tail = new Queue<string>();
        string? last = null;
        void Keep(string line)
        {
            lock (tail)
            {
                if (tail.Count == 40)
                {
                    tail.Dequeue();
                }

                tail.Enqueue(line);
            }
        }

        using var process = new Process { StartInfo = psi };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { Length: > 0 } line)
            {
                last = line.Trim();
                Keep(line);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { Length: > 0 } line)
            {
                LogInformationProgress(line);
                Keep(line);
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Path.GetFileName(program)} did not finish within {timeout.TotalMinutes:0.#} min.");
        }

        lock (tail)
        {
            return (process.ExitCode, last, string.Join('\n', tail));
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "MicroVM guest image: building from the sidecar {SidecarPath} into {CacheDirectory} (cached when nothing changed)")]
    private partial void LogInformationBuilding(string sidecarPath, string cacheDirectory);

    [LoggerMessage(Level = LogLevel.Information, Message = "MicroVM guest image: {Line}")]
    private partial void LogInformationProgress(string line);

    [LoggerMessage(Level = LogLevel.Information, Message = "MicroVM guest image ready: {ImageDirectory}")]
    private partial void LogInformationBuilt(string imageDirectory);

    [LoggerMessage(Level = LogLevel.Information, Message = "MicroVM guest image: no Native AOT sidecar yet; publishing one from {Root} (takes a minute)")]
    private partial void LogInformationPublishing(string root);
}
