using System.Net;
using System.Net.Http.Json;
using System.Text;
using Shadow.Sidecar.Contracts;
using Shadow.Sidecar.Contracts.Common;
using Shouldly;

namespace Shadow.Sidecar.Tests.Files;

/// <summary>Small HTTP helpers for the files and search tests: typed happy paths and problem+json failures.</summary>
internal static class SidecarHttp
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static async Task<T> GetOkAsync<T>(this HttpClient http, string url)
        where T : class
    {
        using var response = await http.GetAsync(url, Ct);
        return await ReadOkAsync<T>(response);
    }

    public static async Task<T> PostOkAsync<T>(this HttpClient http, string url, object body)
        where T : class
    {
        using var response = await http.PostAsync(url, Json(body), Ct);
        return await ReadOkAsync<T>(response);
    }

    public static async Task<TestProblem> GetProblemAsync(this HttpClient http, string url, HttpStatusCode expected)
    {
        using var response = await http.GetAsync(url, Ct);
        return await ReadProblemAsync(response, expected);
    }

    public static async Task<TestProblem> PostProblemAsync(this HttpClient http, string url, object body, HttpStatusCode expected)
    {
        using var response = await http.PostAsync(url, Json(body), Ct);
        return await ReadProblemAsync(response, expected);
    }

    public static async Task<TestProblem> PostRawProblemAsync(this HttpClient http, string url, string rawJson, HttpStatusCode expected)
    {
        using var content = new StringContent(rawJson, Encoding.UTF8, "application/json");
        using var response = await http.PostAsync(url, content, Ct);
        return await ReadProblemAsync(response, expected);
    }

    public static string Q(string value) => Uri.EscapeDataString(value);

    private static HttpContent Json(object body) =>
        body is string raw ? new StringContent(raw, Encoding.UTF8, "application/json") : JsonContent.Create(body, body.GetType(), options: SidecarJson.Options);

    private static async Task<T> ReadOkAsync<T>(HttpResponseMessage response)
        where T : class
    {
        var text = await response.Content.ReadAsStringAsync(Ct);
        response.StatusCode.ShouldBe(HttpStatusCode.OK, text);
        return System.Text.Json.JsonSerializer.Deserialize<T>(text, SidecarJson.Options).ShouldNotBeNull();
    }

    private static async Task<TestProblem> ReadProblemAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync(Ct);
        response.StatusCode.ShouldBe(expected, text);
        response.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json");
        var problem = System.Text.Json.JsonSerializer.Deserialize<ProblemResponse>(text, SidecarJson.Options).ShouldNotBeNull();
        problem.Detail.ShouldNotBeNullOrWhiteSpace();
        problem.Status.ShouldBe((int)expected);
        return new TestProblem((int)expected, problem.Detail!);
    }
}

/// <summary>The parts of a problem document the tests look at (detail is always present).</summary>
internal sealed record TestProblem(int Status, string Detail);
