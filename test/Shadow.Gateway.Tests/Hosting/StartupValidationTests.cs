namespace Shadow.Gateway.Tests.Hosting;

public sealed class StartupValidationTests
{
    [Fact]
    public void Start_NoApiKeys_RefusesNamingTheSetting()
    {
        using var factory = new GatewayFactory(settings: new Dictionary<string, string?> { ["Shadow:Auth:Unused"] = "1" });

        var error = Should.Throw<Exception>(() => factory.CreateClient(apiKey: null));
        error.ToString().ShouldContain("Shadow:Auth:ApiKeys");
    }

    [Fact]
    public void Start_ShortApiKey_RefusesNamingTheSetting()
    {
        using var factory = new GatewayFactory(settings: new Dictionary<string, string?> { ["Shadow:Auth:ApiKeys:short"] = "alice" });

        var error = Should.Throw<Exception>(() => factory.CreateClient(apiKey: null));
        error.ToString().ShouldContain("Shadow:Auth:ApiKeys");
        error.ToString().ShouldContain("at least 16");
        error.ToString().ShouldNotContain("short:");
    }

    [Fact]
    public void Start_ClientModeWithoutPostgreSql_RefusesNamingTheSettings()
    {
        using var factory = new GatewayFactory(settings: new Dictionary<string, string?> { ["Shadow:Orleans:Mode"] = "Client" });

        var error = Should.Throw<Exception>(() => factory.CreateClient(apiKey: null));
        error.ToString().ShouldContain("Shadow:Orleans:Mode=Client");
        error.ToString().ShouldContain("Shadow:Storage:Kind=PostgreSql");
    }

    [Fact]
    public void Start_ClientModeWithoutConnectionString_RefusesNamingTheSetting()
    {
        using var factory = new GatewayFactory(settings: new Dictionary<string, string?>
        {
            ["Shadow:Orleans:Mode"] = "Client",
            ["Shadow:Storage:Kind"] = "PostgreSql",
        });

        var error = Should.Throw<Exception>(() => factory.CreateClient(apiKey: null));
        error.ToString().ShouldContain("Shadow:Storage:ConnectionString is required");
    }

    [Fact]
    public void Start_UnknownMode_RefusesNamingTheSetting()
    {
        using var factory = new GatewayFactory(settings: new Dictionary<string, string?> { ["Shadow:Orleans:Mode"] = "Sideways" });

        var error = Should.Throw<Exception>(() => factory.CreateClient(apiKey: null));
        error.ToString().ShouldContain("Shadow:Orleans:Mode");
    }
}
