namespace Shadow.Deploy.Tests;

/// <summary>Navigation over a parsed manifest (maps of strings to maps, lists and scalars).</summary>
internal static class Manifest
{
    public static object? At(this object? node, params string[] path)
    {
        foreach (var key in path)
        {
            node = node is Dictionary<string, object> map && map.TryGetValue(key, out var next) ? next : null;
        }

        return node;
    }

    public static Dictionary<string, object>? Map(this object? node, params string[] path) => node.At(path) as Dictionary<string, object>;

    public static List<object> List(this object? node, params string[] path) => node.At(path) as List<object> ?? [];

    public static string? Str(this object? node, params string[] path) => node.At(path)?.ToString();

    public static string Kind(this Dictionary<string, object> doc) => doc.Str("kind") ?? "";

    public static string Name(this Dictionary<string, object> doc) => doc.Str("metadata", "name") ?? "";

    public static IEnumerable<Dictionary<string, object>> OfKind(this IEnumerable<Dictionary<string, object>> docs, string kind) =>
        docs.Where(d => d.Kind() == kind);
}
