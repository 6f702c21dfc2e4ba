using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;

namespace Shadow.Gateway.Tests.Endpoints;

[Collection(FakeGatewayCollection.Name)]
public sealed class AuthTests(FakeGateway gateway)
{
    [Fact]
    public async Task ApiRoute_NoKey_401ProblemWithBearerChallenge()
    {
        using var client = gateway.CreateClient(apiKey: null);
        using var response = await client.GetAsync("/api/tasks", Http.Ct);

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.Unauthorized);
        response.Headers.WwwAuthenticate.ShouldContain(h => h.Scheme == "Bearer");
        problem["detail"]!.GetValue<string>().ShouldContain("Authorization: Bearer");
    }

    [Fact]
    public async Task ApiRoute_WrongKey_401Problem()
    {
        using var client = gateway.CreateClient("not-a-configured-key-at-all");
        using var response = await client.GetAsync("/api/tasks", Http.Ct);

        await response.ShouldBeProblemAsync(HttpStatusCode.Unauthorized);
        response.Headers.WwwAuthenticate.ShouldContain(h => h.Scheme == "Bearer");
    }

    [Fact]
    public async Task ApiRoute_NotBearerScheme_401Problem()
    {
        using var client = gateway.CreateClient(apiKey: null);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", GatewayFactory.AliceKey);
        using var response = await client.GetAsync("/api/tasks", Http.Ct);

        await response.ShouldBeProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task ApiRoute_KeyPrefixOfAConfiguredKey_401Problem()
    {
        using var client = gateway.CreateClient(GatewayFactory.AliceKey[..^1]);
        using var response = await client.GetAsync("/api/tasks", Http.Ct);

        await response.ShouldBeProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Healthz_NoKey_Healthy()
    {
        using var client = gateway.CreateClient(apiKey: null);
        using var response = await client.GetAsync("/healthz", Http.Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var body = await response.ReadObjectAsync();
        body["status"]!.GetValue<string>().ShouldBe("healthy");
        body["silo"]!.GetValue<string>().ShouldBe("active");
    }

    [Fact]
    public async Task UnknownApiRoute_NoKey_401()
    {
        using var client = gateway.CreateClient(apiKey: null);
        using var response = await client.GetAsync("/api/nothing-here", Http.Ct);

        await response.ShouldBeProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task EveryApiRouteInOpenApi_NoKey_401Problem()
    {
        using var anonymous = gateway.CreateClient(apiKey: null);
        using var docResponse = await anonymous.GetAsync("/openapi/v1.json", Http.Ct);
        var paths = (await docResponse.ReadObjectAsync())["paths"]!.AsObject();

        var checkedRoutes = 0;
        foreach (var (template, operations) in paths)
        {
            if (!template.StartsWith("/api", StringComparison.Ordinal))
            {
                continue;
            }

            var path = template.Replace("{id}", "abcdefghijkl", StringComparison.Ordinal).Replace("{cmdId}", "b1", StringComparison.Ordinal);
            foreach (var (method, _) in operations!.AsObject())
            {
                using var request = new HttpRequestMessage(new HttpMethod(method.ToUpperInvariant()), path);
                if (method == "post")
                {
                    request.Content = Http.Json("{}");
                }

                using var response = await anonymous.SendAsync(request, Http.Ct);
                response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized, $"{method} {template}");
                response.Content.Headers.ContentType?.MediaType.ShouldBe(Http.ProblemJson, $"{method} {template}");
                checkedRoutes++;
            }
        }

        // Tasks (7), workspace (16 + diff), terminal and changes (4).
        checkedRoutes.ShouldBeGreaterThanOrEqualTo(28);
    }

    [Fact]
    public async Task OpenApi_DeclaresBearerScheme()
    {
        using var client = gateway.CreateClient(apiKey: null);
        using var response = await client.GetAsync("/openapi/v1.json", Http.Ct);
        var doc = await response.ReadObjectAsync();

        var scheme = doc["components"]!["securitySchemes"]!["ApiKey"]!;
        scheme["scheme"]!.GetValue<string>().ShouldBe("bearer");
        doc["security"].ShouldBeOfType<JsonArray>().Count.ShouldBe(1);
    }
}
