using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Shadow.Grains.Hosting;
using Shadow.Grains.Runtime;
using Shadow.Grains.Runtime.Local;
using Shadow.Testing;
using Shouldly;

namespace Shadow.Grains.Tests.Runtime;

/// <summary><c>Shadow:Runtime:Local:*</c> binding and validation, the registration, and where the sidecar is found.</summary>
public sealed class LocalRuntimeOptionsTests
{
    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddLogging()
            .AddLocalWorkspaceRuntime()
            .BuildServiceProvider();
    }

    private static Dictionary<string, string?> Valid(string dataDir) => new()
    {
        ["Shadow:DataDir"] = dataDir,
        ["Shadow:Runtime:Local:SidecarPath"] = SidecarProcess.SidecarDll,
    };

    [Theory]
    [InlineData("Shadow:Runtime:Local:WarmPoolSize", "65")]
    [InlineData("Shadow:Runtime:Local:WarmPoolSize", "-1")]
    [InlineData("Shadow:Runtime:Local:StartTimeout", "00:00:00")]
    [InlineData("Shadow:Runtime:Local:StartTimeout", "01:00:00")]
    [InlineData("Shadow:Runtime:Local:StopGracePeriod", "-00:00:01")]
    [InlineData("Shadow:Runtime:Local:SidecarPath", "/no/such/Shadow.Sidecar")]
    [InlineData("Shadow:Runtime:Local:Sandbox", "Docker")]
    [InlineData("Shadow:Runtime:Local:SandboxNetwork", "Sometimes")]
    public void AddLocalWorkspaceRuntime_BadSetting_StartupValidationNamesIt(string key, string value)
    {
        using var data = new TempDirectory();
        var settings = Valid(data.Path);
        settings[key] = value;
        using var services = Build(settings);

        // Act
        var error = Should.Throw<OptionsValidationException>(() => services.GetRequiredService<IStartupValidator>().Validate());

        // Assert
        error.Message.ShouldContain(key);
    }

    [Fact]
    public void Validate_DllWithoutRuntimeConfig_NamesTheSetting()
    {
        using var dir = new TempDirectory();
        var dll = dir.Combine("Shadow.Sidecar.dll");
        File.WriteAllBytes(dll, [0]);

        // Act
        var result = new LocalRuntimeOptionsValidator().Validate(null, new LocalRuntimeOptions { SidecarPath = dll });

        // Assert
        result.Failed.ShouldBeTrue();
        result.FailureMessage.ShouldContain("Shadow:Runtime:Local:SidecarPath");
        result.FailureMessage.ShouldContain("runtimeconfig.json");
    }

    [Fact]
    public async Task AddLocalWorkspaceRuntime_ValidSettings_OneRuntimeAsWorkspaceRuntimeAndHostedService()
    {
        using var data = new TempDirectory();
        var settings = Valid(data.Path);
        settings["Shadow:Runtime:Local:WarmPoolSize"] = "0";
        settings["Shadow:Runtime:Local:StopGracePeriod"] = "00:00:02";
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var collection = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddLogging();
        collection.AddLocalWorkspaceRuntime().AddLocalWorkspaceRuntime();
        await using var services = collection.BuildServiceProvider();

        // Act
        services.GetRequiredService<IStartupValidator>().Validate();
        var runtime = services.GetRequiredService<IWorkspaceRuntime>();

        // Assert
        runtime.Kind.ShouldBe("Local");
        runtime.ShouldBeOfType<LocalProcessRuntime>().DataDirectory.ShouldBe(data.Path);
        services.GetServices<IHostedService>().ShouldHaveSingleItem().ShouldBeSameAs(runtime);
        services.GetServices<IWorkspaceRuntime>().ShouldHaveSingleItem();
        var options = services.GetRequiredService<IOptions<LocalRuntimeOptions>>().Value;
        options.WarmPoolSize.ShouldBe(0);
        options.StopGracePeriod.ShouldBe(TimeSpan.FromSeconds(2));
        options.StartTimeout.ShouldBe(TimeSpan.FromSeconds(30));
        services.GetRequiredService<IOptions<ShadowOptions>>().Value.DataDir.ShouldBe(data.Path);
    }

    [Fact]
    public void AddLocalWorkspaceRuntime_AfterAddShadowGrains_DoesNotBindShadowOptionsTwice()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Shadow:DataDir"] = "/tmp/x" }).Build();
        var collection = new ServiceCollection().AddSingleton<IConfiguration>(configuration);
        collection.AddShadowGrains(configuration);
        var before = collection.Count(d => d.ServiceType == typeof(IConfigureOptions<ShadowOptions>));

        // Act
        collection.AddLocalWorkspaceRuntime();

        // Assert
        collection.Count(d => d.ServiceType == typeof(IConfigureOptions<ShadowOptions>)).ShouldBe(before);
    }

    [Fact]
    public void Locate_NothingConfigured_PrefersNextToHostThenAotPublishThenBuildOutput()
    {
        // Arrange: a fake checkout with a JIT build output and an AOT publish, and a host folder inside it.
        using var repo = new TempDirectory("shadow-repo");
        File.WriteAllText(repo.Combine("Shadow.sln"), string.Empty);
        var host = repo.CreateSubdirectory("host");
        var buildDir = Directory.CreateDirectory(repo.Combine("artifacts", "bin", "Shadow.Sidecar", "debug")).FullName;
        File.WriteAllBytes(Path.Combine(buildDir, "Shadow.Sidecar.dll"), [0]);

        // Act + Assert: build output only.
        SidecarLocator.TryLocate(host).ShouldBe(Path.Combine(buildDir, "Shadow.Sidecar.dll"));

        // An AOT publish (a binary without a .dll) wins over the build output; a JIT publish does not count.
        var jitPublish = Directory.CreateDirectory(repo.Combine("artifacts", "publish", "Shadow.Sidecar", "release")).FullName;
        File.WriteAllBytes(Path.Combine(jitPublish, "Shadow.Sidecar"), [0]);
        File.WriteAllBytes(Path.Combine(jitPublish, "Shadow.Sidecar.dll"), [0]);
        SidecarLocator.TryLocate(host).ShouldBe(Path.Combine(buildDir, "Shadow.Sidecar.dll"));
        var aotPublish = Directory.CreateDirectory(repo.Combine("artifacts", "publish", "Shadow.Sidecar", "release_linux-x64")).FullName;
        File.WriteAllBytes(Path.Combine(aotPublish, "Shadow.Sidecar"), [0]);
        SidecarLocator.TryLocate(host).ShouldBe(Path.Combine(aotPublish, "Shadow.Sidecar"));

        // A sidecar next to the host wins over everything; a bare .dll without its runtimeconfig is not runnable.
        File.WriteAllBytes(Path.Combine(host, "Shadow.Sidecar.dll"), [0]);
        SidecarLocator.TryLocate(host).ShouldBe(Path.Combine(aotPublish, "Shadow.Sidecar"));
        File.WriteAllText(Path.Combine(host, "Shadow.Sidecar.runtimeconfig.json"), "{}");
        SidecarLocator.TryLocate(host).ShouldBe(Path.Combine(host, "Shadow.Sidecar.dll"));
    }

    [Fact]
    public void Locate_NothingAnywhere_ErrorNamesTheSetting()
    {
        using var empty = new TempDirectory("shadow-nowhere");

        // Act
        var error = Should.Throw<FileNotFoundException>(() => SidecarLocator.Locate(null, empty.Path));

        // Assert
        error.Message.ShouldContain("Shadow:Runtime:Local:SidecarPath");
    }
}
