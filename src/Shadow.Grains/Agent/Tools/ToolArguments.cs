using System.Globalization;
using System.Text.Json;

namespace Shadow.Grains.Agent.Tools;

/// <summary>A tool call's arguments as a JSON object, read leniently (a number sent as a string is still a number).</summary>
internal sealed class ToolArguments
{
    private readonly JsonElement _root;

    private ToolArguments(JsonElement root) => _root = root;

    public static ToolArguments Parse(string? json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return FromElement(default);
        }

        try
        {
            using var document = JsonDocument.Parse(json);
            return FromElement(document.RootElement.Clone());
        }
        catch (JsonException ex)
        {
            throw new ToolArgumentException($"the arguments are not valid JSON ({ex.Message}); send a JSON object.");
        }
    }

    public static ToolArguments From(IDictionary<string, object?>? arguments)
    {
        if (arguments is null)
        {
            return FromElement(default);
        }

        try
        {
            // Values are JsonElements when they come from a chat client, plain CLR values when a caller builds them.
            return FromElement(JsonSerializer.SerializeToElement(arguments));
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException)
        {
            throw new ToolArgumentException($"the arguments cannot be read as JSON ({ex.Message}).");
        }
    }

    private static ToolArguments FromElement(JsonElement root) => root.ValueKind switch
    {
        JsonValueKind.Undefined or JsonValueKind.Null => new ToolArguments(JsonDocument.Parse("{}").RootElement.Clone()),
        JsonValueKind.Object => new ToolArguments(root),
        _ => throw new ToolArgumentException($"the arguments must be a JSON object, not {Describe(root)}."),
    };

    public string RequiredString(string name) =>
        OptionalString(name) ?? throw new ToolArgumentException($"'{name}' is required (a string).");

    public string? OptionalString(string name)
    {
        if (!TryGet(name, out var value))
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : throw new ToolArgumentException($"'{name}' must be a string, not {Describe(value)}.");
    }

    public int? OptionalInt(string name)
    {
        if (!TryGet(name, out var value))
        {
            return null;
        }

        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number))
        {
            return number;
        }

        if (value.ValueKind == JsonValueKind.String && int.TryParse(value.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out number))
        {
            return number;
        }

        throw new ToolArgumentException($"'{name}' must be an integer, not {Describe(value)}.");
    }

    public bool? OptionalBool(string name)
    {
        if (!TryGet(name, out var value))
        {
            return null;
        }

        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.String when bool.TryParse(value.GetString(), out var flag) => flag,
            _ => throw new ToolArgumentException($"'{name}' must be true or false, not {Describe(value)}."),
        };
    }

    /// <summary>An array of strings; a single string counts as a list of one.</summary>
    public IReadOnlyList<string>? OptionalStringList(string name)
    {
        if (!TryGet(name, out var value))
        {
            return null;
        }

        if (value.ValueKind == JsonValueKind.String)
        {
            return [value.GetString()!];
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            throw new ToolArgumentException($"'{name}' must be an array of strings, not {Describe(value)}.");
        }

        List<string> items = [];
        foreach (var item in value.EnumerateArray())
        {
            items.Add(item.ValueKind == JsonValueKind.String
                ? item.GetString()!
                : throw new ToolArgumentException($"'{name}' must hold only strings, not {Describe(item)}."));
        }

        return items;
    }

    /// <summary>An array of objects (each read as arguments of its own); a JSON string holding the array is accepted too.</summary>
    public IReadOnlyList<ToolArguments> RequiredObjectList(string name)
    {
        if (!TryGet(name, out var value))
        {
            throw new ToolArgumentException($"'{name}' is required (an array of objects).");
        }

        if (value.ValueKind == JsonValueKind.String)
        {
            try
            {
                using var document = JsonDocument.Parse(value.GetString()!);
                value = document.RootElement.Clone();
            }
            catch (JsonException)
            {
                throw new ToolArgumentException($"'{name}' must be an array of objects, not a string.");
            }
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            throw new ToolArgumentException($"'{name}' must be an array of objects, not {Describe(value)}.");
        }

        List<ToolArguments> items = [];
        var index = 0;
        foreach (var item in value.EnumerateArray())
        {
            items.Add(item.ValueKind == JsonValueKind.Object
                ? new ToolArguments(item)
                : throw new ToolArgumentException($"'{name}[{index}]' must be an object, not {Describe(item)}."));
            index++;
        }

        return items;
    }

    // A null value counts as absent: models often send "end_line": null for an optional argument.
    private bool TryGet(string name, out JsonElement value) =>
        _root.TryGetProperty(name, out value) && value.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined);

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        _ => "null",
    };
}
