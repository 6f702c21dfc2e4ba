using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Shadow.Sidecar.Contracts;
using Shadow.Sidecar.Contracts.Common;
using Shadow.Testing;
using Shouldly;

namespace Shadow.Sidecar.Tests.Hosting;

public sealed class HostingTests(SidecarFixture fixture) : IClassFixture<SidecarFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Health_WithoutToken_AnswersOk()
    {
        using var anonymous = fixture.Sidecar.CreateHttpClient(authenticated: false);

        var health = await anonymous.GetFromJsonAsync<HealthResponse>(SidecarRoutes.Health, SidecarJson.Options, Ct);

        health.ShouldNotBeNull().Status.ShouldBe("ok");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer wrong-token-wrong-token")]
    [InlineData("Basic Zm9vOmJhcg==")]
    public async Task Status_WithoutRightToken_Answers401Problem(string? authorization)
    {
        using var client = fixture.Sidecar.CreateHttpClient(authenticated: false);
        using var request = new HttpRequestMessage(HttpMethod.Get, SidecarRoutes.Status);
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        using var response = await client.SendAsync(request, Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        var problem = await response.Content.ReadFromJsonAsync<ProblemResponse>(SidecarJson.Options, Ct);
        problem!.Detail.ShouldNotBeNullOrEmpty();
    }

    [Fact]
    public async Task OpenApi_WithToken_ServesDocument()
    {
        var json = await fixture.Http.GetStringAsync(SidecarRoutes.OpenApi, Ct);

        json.ShouldContain("\"openapi\"");
        json.ShouldContain(SidecarRoutes.Status);
    }

    [Fact]
    public async Task Status_WithToken_NamesWorkspace()
    {
        var status = await fixture.Http.GetFromJsonAsync<StatusResponse>(SidecarRoutes.Status, SidecarJson.Options, Ct);

        status!.Workspace.ShouldEndWith("/ws");
        status.UptimeSeconds.ShouldBeGreaterThanOrEqualTo(0);
    }

    [Theory]
    [InlineData(SidecarRoutes.Terminal.Stream)]
    [InlineData(SidecarRoutes.Watch.Stream)]
    public async Task Stream_WithNothingToSendYet_SendsHeadersAtOnce(string route)
    {
        // Arrange: this fixture's sidecar has run no command, so the terminal buffer is empty.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(15));
        using var request = new HttpRequestMessage(HttpMethod.Get, route);
        request.Headers.Accept.ParseAdd("text/event-stream");

        // Act
        using var response = await fixture.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);

        // Assert
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/event-stream");
    }

    [Fact]
    public async Task UnknownRoute_AnswersProblem404()
    {
        using var response = await fixture.Http.GetAsync("/no/such/route", Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
    }

    [Fact]
    public async Task Start_WithoutToken_RefusesWithClearMessage()
    {
        using var dir = new TempDirectory();
        var psi = SidecarProcess.CreateStartInfo(dir.Path, dir.Combine("state"), token: "", extraArgs: []);
        psi.Environment.Remove("SHADOW_SIDECAR_TOKEN");

        using var process = Process.Start(psi)!;
        var stderr = await process.StandardError.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct);

        process.ExitCode.ShouldBe(2);
        stderr.ShouldContain("SHADOW_SIDECAR_TOKEN is not set");
    }

    [Fact]
    public async Task Start_WithMissingWorkspace_RefusesNamingTheSetting()
    {
        using var dir = new TempDirectory();
        var psi = SidecarProcess.CreateStartInfo(dir.Combine("missing"), dir.Combine("state"), token: "0123456789abcdef0123", extraArgs: []);

        using var process = Process.Start(psi)!;
        var stderr = await process.StandardError.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct);

        process.ExitCode.ShouldBe(2);
        stderr.ShouldContain("--workspace");
    }
}
