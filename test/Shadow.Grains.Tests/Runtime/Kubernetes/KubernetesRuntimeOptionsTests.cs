using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Shadow.Grains.Hosting;
using Shadow.Grains.Runtime;
using Shadow.Grains.Runtime.Kubernetes;
using Shadow.Grains.Runtime.Local;
using Shadow.Grains.Runtime.Reconcile;
using Shouldly;

namespace Shadow.Grains.Tests.Runtime.Kubernetes;

/// <summary><c>Shadow:Runtime:Kubernetes:*</c> and <c>Shadow:Runtime:Reconcile:*</c> validation, and the runtime chosen by kind.</summary>
public sealed class KubernetesRuntimeOptionsTests
{
    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddLogging()
            .AddShadowGrains(configuration)
            .BuildServiceProvider();
    }

    private static Dictionary<string, string?> Valid() => new()
    {
        ["Shadow:Runtime:Kind"] = "Kubernetes",
        ["Shadow:Runtime:Kubernetes:Image"] = "registry.example.com/shadow-sidecar:1.0",
    };

    [Theory]
    [InlineData("Shadow:Runtime:Kubernetes:Image", "", "Image is required")]
    [InlineData("Shadow:Runtime:Kubernetes:Image", "a b", "whitespace")]
    [InlineData("Shadow:Runtime:Kubernetes:Namespace", "Not_A_Namespace", "not a namespace name")]
    [InlineData("Shadow:Runtime:Kubernetes:ImagePullPolicy", "Sometimes", "Always, IfNotPresent or Never")]
    [InlineData("Shadow:Runtime:Kubernetes:RuntimeClassName", "GVisor!", "not a RuntimeClass name")]
    [InlineData("Shadow:Runtime:Kubernetes:KubeConfigPath", "/no/such/kubeconfig", "does not exist")]
    [InlineData("Shadow:Runtime:Kubernetes:SidecarPort", "70000", "between 1 and 65535")]
    [InlineData("Shadow:Runtime:Kubernetes:CpuLimit", "two", "not a Kubernetes quantity")]
    [InlineData("Shadow:Runtime:Kubernetes:MemoryRequest", "256MB", "not a Kubernetes quantity")]
    [InlineData("Shadow:Runtime:Kubernetes:WorkspaceSizeLimit", "-1Gi", "not a Kubernetes quantity")]
    [InlineData("Shadow:Runtime:Kubernetes:RunAsUser", "0", "non-root")]
    [InlineData("Shadow:Runtime:Kubernetes:ReadyTimeout", "00:00:00", "between 1 second and 30 minutes")]
    [InlineData("Shadow:Runtime:Kubernetes:SiloPodSelector", "app in (silo)", "key=value")]
    [InlineData("Shadow:Runtime:Reconcile:Interval", "00:00:30", "between 1 minute and 1 day")]
    public void Start_BadSetting_ValidationNamesIt(string key, string value, string expected)
    {
        var settings = Valid();
        settings[key] = value;
        using var services = Build(settings);

        var e = Should.Throw<OptionsValidationException>(() =>
        {
            _ = services.GetRequiredService<IOptions<KubernetesRuntimeOptions>>().Value;
            _ = services.GetRequiredService<IOptions<OrphanReconcilerOptions>>().Value;
        });

        e.Message.ShouldContain(key);
        e.Message.ShouldContain(expected);
    }

    [Fact]
    public void KindKubernetes_RegistersThePodRuntime_AndTheDefaultIsLocal()
    {
        using var k8s = Build(Valid());
        k8s.GetRequiredService<IWorkspaceRuntime>().ShouldBeOfType<KubernetesPodRuntime>().Kind.ShouldBe("Kubernetes");
        k8s.GetServices<LocalProcessRuntime>().ShouldBeEmpty();

        var configuration = new ConfigurationBuilder().Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddLogging().AddShadowGrains(configuration);
        services.ShouldContain(d => d.ServiceType == typeof(LocalProcessRuntime));
        services.ShouldNotContain(d => d.ServiceType == typeof(KubernetesPodRuntime));
    }

    [Fact]
    public void KindMicroVm_IsStillRefused_AndAnUnknownKindNamesTheSetting()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Shadow:Runtime:Kind"] = "Docker" }).Build();

        var e = Should.Throw<OptionsValidationException>(() => new ServiceCollection().AddShadowGrains(configuration));

        e.Message.ShouldContain("Shadow:Runtime:Kind must be Local, Kubernetes or MicroVm");
    }

    [Fact]
    public void Configuration_KubeconfigFileWins_ElseDefaultOrInCluster()
    {
        using var dir = new Shadow.Testing.TempDirectory("shadow-kcfg");
        var path = dir.Combine("config");
        File.WriteAllText(path, """
            apiVersion: v1
            kind: Config
            clusters:
            - name: a
              cluster: { server: "http://127.0.0.1:1234" }
            - name: b
              cluster: { server: "http://127.0.0.1:5678" }
            users:
            - name: u
              user: { token: t0k3n }
            contexts:
            - name: first
              context: { cluster: a, user: u }
            - name: second
              context: { cluster: b, user: u }
            current-context: first
            """);

        KubernetesPodRuntime.BuildConfiguration(new KubernetesRuntimeOptions { KubeConfigPath = path }).Host.ShouldStartWith("http://127.0.0.1:1234");
        KubernetesPodRuntime.BuildConfiguration(new KubernetesRuntimeOptions { KubeConfigPath = path, KubeConfigContext = "second" }).Host.ShouldStartWith("http://127.0.0.1:5678");
    }
}
