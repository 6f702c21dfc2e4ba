using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Options;
using Shadow.Grains.Runtime.Local;

namespace Shadow.Grains.Runtime.MicroVm;

/// <summary>
/// QEMU as a Firecracker-class VMM: the <c>microvm</c> machine (no PCI, no firmware tables beyond what the kernel needs),
/// the kernel booted directly, ttyS0 as the console (a socket plus a log file), ttyS1 as the host's control channel,
/// user-mode networking with <c>restrict=on</c> (the guest reaches nothing) plus one loopback host forward to the sidecar
/// and, optionally, one guest forward to <c>git daemon --inetd</c> over a single export folder; QMP on a Unix socket.
/// Every argument goes through <see cref="ProcessStartInfo.ArgumentList"/>: no shell, except QEMU's own <c>exec:</c>
/// migration URI, whose one path is quoted and checked.
/// </summary>
internal sealed class QemuVmm(IOptions<MicroVmRuntimeOptions> options) : IVmm
{
    /// <summary>The guest's address in user-mode networking (QEMU's default).</summary>
    public const string GuestAddress = "10.0.2.15";

    /// <summary>The address inside the guest network that the git forward answers on.</summary>
    public const string GitForwardAddress = "10.0.2.100";

    /// <summary>The git protocol's port.</summary>
    public const int GitForwardPort = 9418;

    public string Name => "qemu";

    public async Task<IVirtualMachine> LaunchAsync(VmLaunchSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var qemu = ExecutableSearch.Find(options.Value.QemuPath)
            ?? throw new InvalidOperationException($"{MicroVmRuntimeOptions.SectionName}:QemuPath '{options.Value.QemuPath}' was not found; install qemu-system-x86.");
        Directory.CreateDirectory(spec.Directory);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(spec.Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var psi = new ProcessStartInfo(qemu)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = spec.Directory,
        };
        foreach (var arg in Arguments(spec))
        {
            psi.ArgumentList.Add(arg);
        }

        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            process.Dispose();
            throw new InvalidOperationException($"Cannot start {qemu}: {e.Message}", e);
        }

        var vm = new QemuVirtualMachine(process, spec.Directory, UnixProcess.StartTime(process.Id));
        try
        {
            await vm.ConnectAsync(TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
            return vm;
        }
        catch
        {
            await vm.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>QEMU's command line for <paramref name="spec"/>.</summary>
    internal static List<string> Arguments(VmLaunchSpec spec)
    {
        var dir = spec.Directory;
        var kvm = spec.Accelerator == MicroVmAccelerator.Kvm;
        var netdev = string.Create(CultureInfo.InvariantCulture,
            $"user,id=net0,restrict=on,hostfwd=tcp:127.0.0.1:0-{GuestAddress}:{spec.GuestPort}");
        if (spec.GitExportDirectory is { } export)
        {
            var git = ExecutableSearch.Find("git") ?? throw new InvalidOperationException("git is required on PATH for the microVM git forward.");
            // Parsed by QEMU with shell-like quoting (no shell runs it): the one path is single-quoted and may hold no quote.
            var command = $"{git} daemon --inetd --export-all --enable=receive-pack --informative-errors --base-path={ShellQuote(export)}";
            netdev += string.Create(CultureInfo.InvariantCulture, $",guestfwd=tcp:{GitForwardAddress}:{GitForwardPort}-cmd:{OptionValue(command)}");
        }

        List<string> args =
        [
            "-M", "microvm,x-option-roms=off,rtc=off",
            "-accel", kvm ? "kvm" : "tcg",
            "-cpu", kvm ? "host" : "max",
            "-smp", spec.VcpuCount.ToString(CultureInfo.InvariantCulture),
            "-m", spec.MemoryMiB.ToString(CultureInfo.InvariantCulture),
            "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
            "-kernel", spec.KernelPath,
            "-initrd", spec.InitrdPath,
            "-append", spec.KernelCommandLine,
            "-chardev", $"socket,id=con,path={OptionValue(Path.Combine(dir, "console.sock"))},server=on,wait=off,logfile={OptionValue(Path.Combine(dir, "console.log"))}",
            "-serial", "chardev:con",
            "-chardev", $"socket,id=ctl,path={OptionValue(Path.Combine(dir, "control.sock"))},server=on,wait=off",
            "-device", "isa-serial,chardev=ctl,index=1",
            "-netdev", netdev,
            "-device", "virtio-net-device,netdev=net0",
            "-qmp", $"unix:{OptionValue(Path.Combine(dir, "qmp.sock"))},server=on,wait=off",
        ];
        if (spec.IncomingStatePath is { } state)
        {
            // QEMU 7.2 has no file: migration URI; exec: runs its text with /bin/sh -c, so the path is quoted and checked.
            args.Add("-incoming");
            args.Add($"exec:cat {ShellQuote(state)}");
        }

        return args;
    }

    /// <summary>A value inside a QEMU option string: commas are doubled.</summary>
    internal static string OptionValue(string value) => value.Replace(",", ",,", StringComparison.Ordinal);

    /// <summary>Single-quoted for a shell-like parser; a path holding a quote or a control character is refused.</summary>
    internal static string ShellQuote(string path)
    {
        if (path.Contains('\'', StringComparison.Ordinal) || path.Any(char.IsControl))
        {
            throw new InvalidOperationException($"The path '{path}' holds a quote or a control character; choose a Shadow:DataDir without them.");
        }

        return $"'{path}'";
    }
}
