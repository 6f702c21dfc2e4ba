using System.Net;

namespace Shadow.Gateway.Tests.Endpoints;

[Collection(FakeGatewayCollection.Name)]
public sealed class HostingTests(FakeGateway gateway)
{
    [Fact]
    public async Task OpenApi_Served_ListsTheApi()
    {
        using var client = gateway.CreateClient(apiKey: null);
        using var response = await client.GetAsync("/openapi/v1.json", Http.Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var paths = (await response.ReadObjectAsync())["paths"]!.AsObject();
        paths.ShouldContainKey("/api/tasks");
        paths.ShouldContainKey("/api/tasks/{id}/workspace/files/read");
        paths.ShouldContainKey("/api/tasks/{id}/terminal");
        paths.ShouldContainKey("/healthz");
    }

    [Fact]
    public async Task ReferencePage_Served_Html()
    {
        using var client = gateway.CreateClient(apiKey: null);
        using var response = await client.GetAsync("/docs", Http.Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType?.MediaType.ShouldBe("text/html");
        (await response.Content.ReadAsStringAsync(Http.Ct)).ShouldContain("openapi/v1.json");
    }

    [Fact]
    public async Task UnknownRoute_404Problem()
    {
        using var client = gateway.CreateClient(apiKey: null);
        using var response = await client.GetAsync("/nothing/here", Http.Ct);

        await response.ShouldBeProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task UnknownApiRoute_WithKey_404Problem()
    {
        using var client = gateway.CreateClient(GatewayFactory.AliceKey);
        using var response = await client.GetAsync("/api/nothing-here", Http.Ct);

        await response.ShouldBeProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task WrongMethod_405Problem()
    {
        using var client = gateway.CreateClient(GatewayFactory.AliceKey);
        using var response = await client.DeleteAsync("/api/tasks", Http.Ct);

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.MethodNotAllowed);
        problem["detail"]!.GetValue<string>().ShouldContain("DELETE");
    }
}
