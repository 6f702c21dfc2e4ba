using System.Net;
using System.Text;
using System.Text.Json;
using Shadow.Sidecar.Contracts;
using Shadow.Sidecar.Contracts.Common;
using Shadow.Testing;
using Shouldly;

namespace Shadow.Sidecar.Tests.Hosting;

/// <summary>Malformed, mistyped and oversized requests answer 4xx problem+json with a useful detail, never 500.</summary>
public sealed class BadInputTests(BadInputTests.Fixture fixture) : IClassFixture<BadInputTests.Fixture>
{
    private const int BodyLimit = 4096;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string, string, string> MalformedBodies => new()
    {
        { SidecarRoutes.Files.Write, "{\"path\": \"a.txt\", \"content\": ", "JSON" },
        { SidecarRoutes.Files.Write, "not json at all", "JSON" },
        { SidecarRoutes.Files.Write, "{\"path\": 42, \"content\": \"x\"}", "path" },
        { SidecarRoutes.Files.Write, "{\"content\": \"x\"}", "path" },
        { SidecarRoutes.Files.Write, "{\"path\": null, \"content\": \"x\"}", "path" },
        { SidecarRoutes.Files.Write, "[]", "JSON" },
        { SidecarRoutes.Exec.Run, "{\"command\": [\"echo\"]}", "command" },
        { SidecarRoutes.Exec.Run, "{\"command\": \"echo hi\", \"timeoutSeconds\": \"soon\"}", "timeoutSeconds" },
        { SidecarRoutes.Search.Grep, "{\"pattern\": true}", "pattern" },
        { SidecarRoutes.Git.Commit, "{\"message\": 1}", "message" },
    };

    [Theory]
    [MemberData(nameof(MalformedBodies))]
    public async Task Post_MalformedOrMistypedBody_Answers400WithDetail(string route, string body, string detailMentions)
    {
        // Act
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await fixture.Http.PostAsync(route, content, Ct);

        // Assert
        var problem = await ReadProblemAsync(response, HttpStatusCode.BadRequest);
        problem.Detail.ShouldNotBeNull().ShouldContain(detailMentions, Case.Insensitive);
    }

    [Fact]
    public async Task Post_BodyOverLimit_Answers413Problem()
    {
        // Arrange
        var body = JsonSerializer.Serialize(new { path = "big.txt", content = new string('x', BodyLimit * 4) });

        // Act
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await fixture.Http.PostAsync(SidecarRoutes.Files.Write, content, Ct);

        // Assert
        var problem = await ReadProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
        problem.Detail.ShouldNotBeNullOrWhiteSpace();
        File.Exists(Path.Combine(fixture.Workspace, "big.txt")).ShouldBeFalse("a refused body must not leave a partial write");
    }

    [Fact]
    public async Task Post_WrongContentType_Answers415Problem()
    {
        using var content = new StringContent("path=a.txt", Encoding.UTF8, "application/x-www-form-urlencoded");

        using var response = await fixture.Http.PostAsync(SidecarRoutes.Files.Write, content, Ct);

        response.StatusCode.ShouldBeOneOf(HttpStatusCode.UnsupportedMediaType, HttpStatusCode.BadRequest);
        response.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json");
    }

    [Theory]
    [InlineData("offset=abc")]
    [InlineData("limit=-1")]
    [InlineData("offset=99999999999999999999")]
    public async Task Get_BadQueryValue_Answers400Problem(string query)
    {
        File.WriteAllText(Path.Combine(fixture.Workspace, "q.txt"), "a\nb\n");

        using var response = await fixture.Http.GetAsync($"{SidecarRoutes.Files.Read}?path=q.txt&{query}", Ct);

        await ReadProblemAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Get_WrongMethod_Answers405Problem()
    {
        using var response = await fixture.Http.GetAsync(SidecarRoutes.Files.Write, Ct);

        await ReadProblemAsync(response, HttpStatusCode.MethodNotAllowed);
    }

    [Fact]
    public async Task Start_TokenTooLong_RefusesNamingTheLimit()
    {
        using var dir = new TempDirectory();
        var psi = SidecarProcess.CreateStartInfo(dir.Path, dir.Combine("state"), token: new string('t', 200), extraArgs: []);

        using var process = System.Diagnostics.Process.Start(psi)!;
        var stderr = await process.StandardError.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct);

        process.ExitCode.ShouldBe(2);
        stderr.ShouldContain("SHADOW_SIDECAR_TOKEN is 200 characters long");
    }

    private static async Task<ProblemResponse> ReadProblemAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync(Ct);
        response.StatusCode.ShouldBe(expected, text);
        response.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json");
        var problem = JsonSerializer.Deserialize(text, CommonJsonContext.Default.ProblemResponse).ShouldNotBeNull();
        problem.Status.ShouldBe((int)expected);
        problem.Detail.ShouldNotBeNullOrWhiteSpace();
        return problem;
    }

    /// <summary>A sidecar with a small request-body limit.</summary>
    public sealed class Fixture : SidecarFixture
    {
        protected override string[] ExtraArgs => [$"--Sidecar:MaxRequestBodyBytes={BodyLimit}"];
    }
}
