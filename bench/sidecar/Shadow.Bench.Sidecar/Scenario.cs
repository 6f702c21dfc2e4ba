using System.Net.Http.Headers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Shadow.Sidecar.Contracts;

namespace Shadow.Bench.Sidecar;

/// <summary>
/// One request shape that is measured. The body is raw JSON (camelCase) so the bench does not depend on the contract
/// records' names. <see cref="Validate"/> checks a response body (null = right); <see cref="AfterCheck"/> checks the
/// workspace after the load (e.g. the written file holds the written bytes).
/// </summary>
internal sealed record Scenario(
    string Name,
    HttpMethod Method,
    string PathAndQuery,
    byte[]? Body,
    double? TargetP50Ms,
    double? NodeReferenceRps,
    Func<string, string?> Validate,
    Func<string?>? AfterCheck = null)
{
    /// <summary>The c10 target: at least five times the reference Node sidecar.</summary>
    public const double NodeMultiple = 5;

    private static readonly MediaTypeHeaderValue Json = new("application/json") { CharSet = "utf-8" };

    public double? TargetRps => NodeReferenceRps * NodeMultiple;

    public HttpRequestMessage CreateRequest()
    {
        var request = new HttpRequestMessage(Method, PathAndQuery);
        if (Body is not null)
        {
            request.Content = new ByteArrayContent(Body);
            request.Content.Headers.ContentType = Json;
        }

        return request;
    }

    /// <summary>The six scenarios of issue 4 section 5, against the files <c>run.sh</c> put into the workspace.</summary>
    public static IReadOnlyList<Scenario> CreateAll(string workspace)
    {
        var readPath = "data/read-4k.txt";
        var writePath = "scratch/write-4k.txt";
        var listPath = "list20";

        var readText = File.ReadAllText(Path.Combine(workspace, readPath));
        var readLines = readText.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        // Written content = the committed content, so the file's bytes never change and git status stays comparable.
        var writeBytes = File.ReadAllBytes(Path.Combine(workspace, writePath));
        var writeText = Encoding.UTF8.GetString(writeBytes);
        var entries = Directory.GetFileSystemEntries(Path.Combine(workspace, listPath)).Select(Path.GetFileName).ToArray();
        if (readText.Length != 4096 || writeBytes.Length != 4096 || entries.Length != 20)
        {
            throw new BenchException($"The workspace is not the one run.sh makes: {readPath} has {readText.Length} bytes, " +
                $"{writePath} {writeBytes.Length} (want 4096 each), {listPath}/ has {entries.Length} entries (want 20).");
        }

        return
        [
            new("health", HttpMethod.Get, SidecarRoutes.Health, null, null, null,
                body => JsonStrings(body).Contains("ok") ? null : "no \"ok\" in the health body"),
            new("read", HttpMethod.Get, $"{SidecarRoutes.Files.Read}?path={Uri.EscapeDataString(readPath)}", null, 0.25, 1263,
                body => ContainsAll(body, [readLines[0], readLines[^1]], "the file's first and last lines")),
            new("write", HttpMethod.Post, SidecarRoutes.Files.Write,
                JsonBody(w =>
                {
                    w.WriteString("path", writePath);
                    w.WriteString("content", writeText);
                }), 0.4, 858,
                _ => null,
                () => File.ReadAllBytes(Path.Combine(workspace, writePath)).AsSpan().SequenceEqual(writeBytes)
                    ? null
                    : $"{writePath} does not hold the written bytes after the load"),
            new("list", HttpMethod.Get, $"{SidecarRoutes.Files.List}?path={Uri.EscapeDataString(listPath)}", null, 0.2, 1228,
                body => ContainsAll(body, entries!, "all 20 entry names")),
            new("exec", HttpMethod.Post, SidecarRoutes.Exec.Run, JsonBody(w => w.WriteString("command", "echo hi")), 1.5, 185,
                body => ExecSucceeded(body) ?? ContainsAll(body, ["hi"], "the command's output")),
            new("git-status", HttpMethod.Get, SidecarRoutes.Git.Status, null, 1.5, 152,
                body => IsJson(body)),
        ];
    }

    /// <summary>Null when the body parses as JSON (a status answer's exact shape is the git helper's choice).</summary>
    private static string? IsJson(string body)
    {
        _ = JsonStrings(body);
        return null;
    }

    private static byte[] JsonBody(Action<Utf8JsonWriter> write)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }

        return stream.ToArray();
    }

    /// <summary>Every string value (not property names) in a JSON body; throws if the body is not JSON.</summary>
    private static HashSet<string> JsonStrings(string body)
    {
        var strings = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            using var doc = JsonDocument.Parse(body);
            Collect(doc.RootElement, strings);
        }
        catch (JsonException e)
        {
            throw new BenchException($"The body is not JSON ({e.Message}): {Truncate(body)}");
        }

        return strings;

        static void Collect(JsonElement e, HashSet<string> into)
        {
            switch (e.ValueKind)
            {
                case JsonValueKind.String:
                    into.Add(e.GetString()!);
                    break;
                case JsonValueKind.Array:
                    foreach (var item in e.EnumerateArray())
                    {
                        Collect(item, into);
                    }

                    break;
                case JsonValueKind.Object:
                    foreach (var p in e.EnumerateObject())
                    {
                        Collect(p.Value, into);
                    }

                    break;
                default:
                    break;
            }
        }
    }

    /// <summary>Null when every expected text occurs in some string of the (JSON or plain-text) body.</summary>
    private static string? ContainsAll(string body, IEnumerable<string> expected, string what)
    {
        var haystack = body.TrimStart().StartsWith('{') || body.TrimStart().StartsWith('[')
            ? string.Join('\n', JsonStrings(body))
            : body;
        var missing = expected.Where(x => !haystack.Contains(x, StringComparison.Ordinal)).ToList();
        return missing.Count == 0 ? null : $"the body lacks {what} (missing: {string.Join(", ", missing.Take(3))}): {Truncate(body)}";
    }

    /// <summary>If the body has a numeric <c>exitCode</c>, it must be 0; if it has a string <c>stdout</c>, it must be <c>hi</c>.</summary>
    private static string? ExecSucceeded(string body)
    {
        using var doc = JsonDocument.Parse(body);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        if (root.TryGetProperty("exitCode", out var code) && code.ValueKind == JsonValueKind.Number && code.GetInt32() != 0)
        {
            return $"exitCode {code.GetInt32()}: {Truncate(body)}";
        }

        return root.TryGetProperty("stdout", out var stdout) && stdout.ValueKind == JsonValueKind.String && stdout.GetString()!.TrimEnd() != "hi"
            ? $"stdout is not 'hi': {Truncate(body)}"
            : null;
    }

    internal static string Truncate(string text) => text.Length <= 400 ? text : text[..400] + "…";
}
