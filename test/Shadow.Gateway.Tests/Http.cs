using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace Shadow.Gateway.Tests;

/// <summary>Request and assertion helpers for the gateway's wire format.</summary>
internal static class Http
{
    public const string ProblemJson = "application/problem+json";

    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static async Task<JsonObject> CreateTaskAsync(this HttpClient client, string repoUrl = "https://example.com/repo.git", string prompt = "do it")
    {
        using var response = await client.PostAsJsonAsync("/api/tasks", new { repoUrl, prompt }, Ct);
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync(Ct));
        return await response.ReadObjectAsync();
    }

    public static async Task<JsonObject> ReadObjectAsync(this HttpResponseMessage response) =>
        (JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct)) as JsonObject)
        ?? throw new InvalidOperationException("The body is not a JSON object.");

    public static async Task<JsonArray> ReadArrayAsync(this HttpResponseMessage response) =>
        (JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct)) as JsonArray)
        ?? throw new InvalidOperationException("The body is not a JSON array.");

    /// <summary>Asserts a problem+json answer with the status and a non-empty detail; returns the problem.</summary>
    public static async Task<JsonObject> ShouldBeProblemAsync(this HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync(Ct);
        response.StatusCode.ShouldBe(status, body);
        response.Content.Headers.ContentType?.MediaType.ShouldBe(ProblemJson, body);
        var problem = (JsonObject)JsonNode.Parse(body)!;
        problem["status"]!.GetValue<int>().ShouldBe((int)status);
        problem["detail"]?.GetValue<string>().ShouldNotBeNullOrWhiteSpace(body);
        return problem;
    }

    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    /// <summary>Reads server-sent events until <paramref name="count"/> arrived (or the stream ended).</summary>
    public static async Task<List<(string? Id, string? Event, string Data)>> ReadEventsAsync(this HttpClient client, HttpRequestMessage request,
        int count, TimeSpan? timeout = null, Func<(string? Id, string? Event, string Data), bool>? stopWhen = null)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cts.CancelAfter(timeout ?? TimeSpan.FromSeconds(20));
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
        response.StatusCode.ShouldBe(HttpStatusCode.OK, await ReadErrorAsync(response));
        response.Content.Headers.ContentType?.MediaType.ShouldBe("text/event-stream");
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cts.Token));
        List<(string?, string?, string)> events = [];
        string? id = null, name = null;
        StringBuilder data = new();
        while (events.Count < count && await reader.ReadLineAsync(cts.Token) is { } line)
        {
            if (line.Length == 0)
            {
                if (data.Length > 0)
                {
                    events.Add((id, name, data.ToString()));
                    if (stopWhen?.Invoke(events[^1]) == true)
                    {
                        break;
                    }
                }

                (id, name) = (null, null);
                data.Clear();
            }
            else if (line.StartsWith("id: ", StringComparison.Ordinal))
            {
                id = line[4..];
            }
            else if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                name = line[7..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                data.Append(line[6..]);
            }
        }

        return events;
    }

    private static async Task<string> ReadErrorAsync(HttpResponseMessage response) =>
        response.IsSuccessStatusCode ? "" : await response.Content.ReadAsStringAsync(Ct);
}
