namespace Shadow.Grains.Agent;

/// <summary>Tidies what a model wrote as a commit message.</summary>
public static class CommitMessageText
{
    private const int MaxLength = 4000;

    /// <summary>The message without code fences, surrounding quotes or trailing blanks; null when nothing is left.</summary>
    public static string? Clean(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Trim().Split('\n').ToList();
        if (lines.Count > 0 && lines[0].StartsWith("```", StringComparison.Ordinal))
        {
            lines.RemoveAt(0);
        }

        if (lines.Count > 0 && lines[^1].StartsWith("```", StringComparison.Ordinal))
        {
            lines.RemoveAt(lines.Count - 1);
        }

        var message = string.Join('\n', lines).Trim().Trim('"', '\'', '`').Trim();
        if (message.Length == 0)
        {
            return null;
        }

        return message.Length <= MaxLength ? message : message[..MaxLength];
    }
}
