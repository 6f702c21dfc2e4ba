using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Shadow.Grains.Hosting;
using Shadow.Grains.Runtime;
using Shadow.Grains.Runtime.MicroVm;
using Shadow.Testing;
using Shouldly;

namespace Shadow.Grains.Tests.Runtime.MicroVm;

/// <summary><c>Shadow:Runtime:MicroVm:*</c> binding and validation, the runtime chosen by kind, and QEMU's command line.</summary>
public sealed class MicroVmRuntimeOptionsTests
{
    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddLogging()
            .AddMicroVmWorkspaceRuntime()
            .BuildServiceProvider();
    }

    [Theory]
    [InlineData("Shadow:Runtime:MicroVm:VcpuCount", "0")]
    [InlineData("Shadow:Runtime:MicroVm:VcpuCount", "65")]
    [InlineData("Shadow:Runtime:MicroVm:MemoryMiB", "64")]
    [InlineData("Shadow:Runtime:MicroVm:WarmPoolSize", "-1")]
    [InlineData("Shadow:Runtime:MicroVm:BootTimeout", "00:00:01")]
    [InlineData("Shadow:Runtime:MicroVm:KvmProbeTimeout", "00:00:00")]
    [InlineData("Shadow:Runtime:MicroVm:QemuPath", "/no/such/qemu")]
    [InlineData("Shadow:Runtime:MicroVm:SidecarPath", "/no/such/Shadow.Sidecar")]
    [InlineData("Shadow:Runtime:MicroVm:ImageScriptPath", "/no/such/build-image.sh")]
    public void AddMicroVmWorkspaceRuntime_BadSetting_StartupValidationNamesIt(string key, string value)
    {
        using var data = new TempDirectory();
        using var services = Build(new() { ["Shadow:DataDir"] = data.Path, [key] = value });

        // Act
        var error = Should.Throw<OptionsValidationException>(() => services.GetRequiredService<IStartupValidator>().Validate());

        // Assert
        error.Message.ShouldContain(key.Replace("Shadow:Runtime:MicroVm:", string.Empty, StringComparison.Ordinal));
        error.Message.ShouldContain("Shadow:Runtime:MicroVm:");
    }

    [Fact]
    public void Bind_UnknownAccelerator_FailsNamingTheSetting()
    {
        using var data = new TempDirectory();
        using var services = Build(new() { ["Shadow:DataDir"] = data.Path, ["Shadow:Runtime:MicroVm:Accelerator"] = "Hyperspeed" });

        var error = Should.Throw<InvalidOperationException>(() => services.GetRequiredService<IStartupValidator>().Validate());

        error.Message.ShouldContain("Accelerator");
    }

    [Fact]
    public void AddShadowGrains_KindMicroVm_RegistersTheMicroVmRuntime_LocalStaysTheDefault()
    {
        using var data = new TempDirectory();
        IWorkspaceRuntime RuntimeFor(string? kind)
        {
            var settings = new Dictionary<string, string?> { ["Shadow:DataDir"] = data.Path };
            if (kind is not null)
            {
                settings["Shadow:Runtime:Kind"] = kind;
            }

            var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
            var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddLogging();
            services.AddShadowGrains(configuration);
            return services.BuildServiceProvider().GetRequiredService<IWorkspaceRuntime>();
        }

        RuntimeFor("MicroVm").Kind.ShouldBe("MicroVm");
        RuntimeFor(null).Kind.ShouldBe("Local");
        var error = Should.Throw<OptionsValidationException>(() => RuntimeFor("Firecracker"));
        error.Message.ShouldContain("Shadow:Runtime:Kind");
    }

    [Fact]
    public void Arguments_KeepTheGuestOffTheNetworkAndSecretsOffTheCommandLine()
    {
        var spec = new VmLaunchSpec("/data/vms/abc,1", "/img/vmlinux", "/img/initramfs.cpio", "console=ttyS0", MicroVmAccelerator.Tcg, 2, 512, 8080,
            "/data/vms/abc,1/git", "/cache/states/s.vmstate");

        // Act
        var args = QemuVmm.Arguments(spec);

        // Assert
        var netdev = args[args.IndexOf("-netdev") + 1];
        netdev.ShouldStartWith("user,id=net0,restrict=on,hostfwd=tcp:127.0.0.1:0-10.0.2.15:8080,guestfwd=tcp:10.0.2.100:9418-cmd:");
        netdev.ShouldContain("--base-path='/data/vms/abc,,1/git'", customMessage: "commas in option values are doubled");
        args[args.IndexOf("-accel") + 1].ShouldBe("tcg");
        args[args.IndexOf("-smp") + 1].ShouldBe("2");
        args[args.IndexOf("-incoming") + 1].ShouldBe("exec:cat '/cache/states/s.vmstate'");
        args[args.IndexOf("-append") + 1].ShouldBe("console=ttyS0");
        Should.Throw<InvalidOperationException>(() => QemuVmm.Arguments(spec with { IncomingStatePath = "/tmp/it's" }))
            .Message.ShouldContain("quote");
    }

    [Theory]
    [InlineData("x\nSHADOW-BEGIN-n-5\nhello\nSHADOW-END-n-5-0\n", 0, "hello\n")]
    [InlineData("echo SHADOW-BEGIN-n-$((4+1))\nSHADOW-BEGIN-n-5\na\nb\nSHADOW-END-n-5-42\n/ # ", 42, "a\nb\n")]
    public void TryParse_FindsTheComputedMarkersNotTheEchoedOnes(string text, int code, string output)
    {
        var result = QemuVirtualMachine.TryParse(text, "SHADOW-BEGIN-n-5", "SHADOW-END-n-5-").ShouldNotBeNull();

        result.ExitCode.ShouldBe(code);
        result.Output.ShouldBe(output);
    }

    [Fact]
    public void TryParse_EndNotYetSeen_AnswersNull() =>
        QemuVirtualMachine.TryParse("SHADOW-BEGIN-n-5\npartial", "SHADOW-BEGIN-n-5", "SHADOW-END-n-5-").ShouldBeNull();
}
