using System.Text.Json.Nodes;

namespace Shadow.Kubernetes.Simulation;

/// <summary>Label selectors (<c>a=b</c>, <c>a==b</c>, <c>a!=b</c>, <c>a</c>, <c>!a</c>) and the field selectors the simulation supports (<c>metadata.name</c>, <c>metadata.namespace</c>, <c>status.phase</c>).</summary>
internal static class Selectors
{
    public static Func<JsonObject, bool> Parse(string? labelSelector, string? fieldSelector)
    {
        List<Func<JsonObject, bool>> tests = [];
        foreach (var term in Terms(labelSelector))
        {
            tests.Add(LabelTerm(term));
        }

        foreach (var term in Terms(fieldSelector))
        {
            tests.Add(FieldTerm(term));
        }

        return obj => tests.All(t => t(obj));
    }

    private static IEnumerable<string> Terms(string? selector) =>
        string.IsNullOrWhiteSpace(selector) ? [] : selector.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    private static Func<JsonObject, bool> LabelTerm(string term)
    {
        static string? Label(JsonObject o, string key) => (string?)o["metadata"]?["labels"]?[key];
        if (Split(term, "!=") is var (k1, v1))
        {
            return o => Label(o, k1) != v1;
        }

        if ((Split(term, "==") ?? Split(term, "=")) is var (k2, v2))
        {
            return o => Label(o, k2) == v2;
        }

        if (term.StartsWith('!'))
        {
            var key = term[1..];
            return o => o["metadata"]?["labels"]?[key] is null;
        }

        if (term.Contains(' ', StringComparison.Ordinal) || term.Contains('(', StringComparison.Ordinal))
        {
            throw new ApiException(400, "BadRequest", $"unable to parse requirement: set-based label selectors are not supported by the simulation: {term}");
        }

        return o => o["metadata"]?["labels"]?[term] is not null;
    }

    private static Func<JsonObject, bool> FieldTerm(string term)
    {
        var negate = Split(term, "!=") is not null;
        var (field, value) = Split(term, "!=") ?? Split(term, "==") ?? Split(term, "=")
            ?? throw new ApiException(400, "BadRequest", $"invalid field selector: '{term}'");
        Func<JsonObject, string?> read = field switch
        {
            "metadata.name" => o => (string?)o["metadata"]?["name"],
            "metadata.namespace" => o => (string?)o["metadata"]?["namespace"],
            "status.phase" => o => (string?)o["status"]?["phase"],
            _ => throw new ApiException(400, "BadRequest", $"field label not supported: {field}"),
        };
        return negate ? o => read(o) != value : o => read(o) == value;
    }

    private static (string Key, string Value)? Split(string term, string op)
    {
        var i = term.IndexOf(op, StringComparison.Ordinal);
        return i <= 0 ? null : (term[..i].Trim(), term[(i + op.Length)..].Trim());
    }
}
