using System.Net;
using System.Text.Json;
using Shadow.Sidecar.Contracts;
using Shouldly;

namespace Shadow.Sidecar.Tests.Security;

/// <summary>Every route the sidecar publishes in its OpenAPI document refuses a request without the token.</summary>
public sealed class AuthenticationTests(SidecarFixture fixture) : IClassFixture<SidecarFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task EveryRoute_WithoutToken_Answers401()
    {
        // Arrange
        var routes = await PublishedRoutesAsync();
        routes.Count.ShouldBeGreaterThan(1, "the OpenAPI document should list the sidecar's routes");
        using var anonymous = fixture.Sidecar.CreateHttpClient(authenticated: false);
        var failures = new List<string>();

        // Act
        foreach (var (method, path) in routes)
        {
            if (path == SidecarRoutes.Health)
            {
                continue;
            }

            foreach (var authorization in new string?[] { null, "Bearer not-the-token-at-all-000", "Bearer " + fixture.Sidecar.Token + "x" })
            {
                using var request = new HttpRequestMessage(new HttpMethod(method), path.Replace("{id}", "x", StringComparison.Ordinal));
                if (authorization is not null)
                {
                    request.Headers.TryAddWithoutValidation("Authorization", authorization);
                }

                if (method == "POST")
                {
                    request.Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json");
                }

                using var response = await anonymous.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);
                if (response.StatusCode != HttpStatusCode.Unauthorized)
                {
                    failures.Add($"{method} {path} with '{authorization ?? "no header"}' answered {(int)response.StatusCode}");
                }
            }
        }

        // Assert
        failures.ShouldBeEmpty();
    }

    [Fact]
    public async Task OpenApi_WithoutToken_Answers401()
    {
        using var anonymous = fixture.Sidecar.CreateHttpClient(authenticated: false);

        using var response = await anonymous.GetAsync(SidecarRoutes.OpenApi, Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    private async Task<List<(string Method, string Path)>> PublishedRoutesAsync()
    {
        using var doc = JsonDocument.Parse(await fixture.Http.GetStringAsync(SidecarRoutes.OpenApi, Ct));
        var routes = new List<(string, string)>();
        foreach (var path in doc.RootElement.GetProperty("paths").EnumerateObject())
        {
            foreach (var operation in path.Value.EnumerateObject())
            {
                routes.Add((operation.Name.ToUpperInvariant(), path.Name));
            }
        }

        return routes;
    }
}
