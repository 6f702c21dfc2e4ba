using System.Text;

namespace Shadow.Sidecar.Git;

/// <summary>
/// Writes git-style unified diffs in managed code. LibGit2Sharp's patch printer cannot run under Native AOT (its line
/// callback receives a null hunk for header lines, which the AOT marshaller dereferences and the process aborts), so the
/// sidecar lists the changed files through libgit2 and diffs their contents here: Myers' algorithm on lines, three lines
/// of context, hunks merged when their context touches.
/// </summary>
internal static class UnifiedDiff
{
    private const int Context = 3;

    // Beyond this many differing lines the edit script is not searched for: the file is shown as replaced whole.
    private const int MaxEditDistance = 2000;
    private const int BinaryProbeBytes = 8000;

    /// <summary>What a file's diff adds to the patch.</summary>
    public readonly record struct FileDiff(string Text, int Added, int Deleted);

    /// <summary>The diff of one file; null content means the file does not exist on that side.</summary>
    public static FileDiff Build(string oldPath, string newPath, byte[]? oldContent, byte[]? newContent)
    {
        var text = new StringBuilder();
        text.Append("diff --git a/").Append(oldPath).Append(" b/").Append(newPath).Append('\n');
        if (oldContent is null)
        {
            text.Append("new file mode 100644\n");
        }
        else if (newContent is null)
        {
            text.Append("deleted file mode 100644\n");
        }
        else if (oldPath != newPath)
        {
            text.Append("rename from ").Append(oldPath).Append('\n').Append("rename to ").Append(newPath).Append('\n');
        }

        if (IsBinary(oldContent) || IsBinary(newContent))
        {
            text.Append("Binary files ").Append(oldContent is null ? "/dev/null" : "a/" + oldPath)
                .Append(" and ").Append(newContent is null ? "/dev/null" : "b/" + newPath).Append(" differ\n");
            return new FileDiff(text.ToString(), 0, 0);
        }

        var a = Lines(oldContent);
        var b = Lines(newContent);
        var edits = Edits(a, b);
        if (!edits.Any(e => e.Kind != EditKind.Equal))
        {
            // Same content (a rename, or a mode change): the header says it all.
            return new FileDiff(text.ToString(), 0, 0);
        }

        text.Append("--- ").Append(oldContent is null ? "/dev/null" : "a/" + oldPath).Append('\n');
        text.Append("+++ ").Append(newContent is null ? "/dev/null" : "b/" + newPath).Append('\n');
        var added = 0;
        var deleted = 0;
        foreach (var (start, end) in Hunks(edits))
        {
            var oldStart = -1;
            var newStart = -1;
            int oldCount = 0, newCount = 0;
            for (var i = start; i < end; i++)
            {
                var e = edits[i];
                if (e.Kind != EditKind.Insert)
                {
                    oldStart = oldStart < 0 ? e.OldIndex : oldStart;
                    oldCount++;
                }

                if (e.Kind != EditKind.Delete)
                {
                    newStart = newStart < 0 ? e.NewIndex : newStart;
                    newCount++;
                }
            }

            // An empty side names the line before the hunk (0 at the start of the file), as git does.
            oldStart = oldCount == 0 ? PositionBefore(edits, start, old: true) : oldStart + 1;
            newStart = newCount == 0 ? PositionBefore(edits, start, old: false) : newStart + 1;
            text.Append("@@ -").Append(Range(oldStart, oldCount)).Append(" +").Append(Range(newStart, newCount)).Append(" @@\n");
            for (var i = start; i < end; i++)
            {
                var e = edits[i];
                var (prefix, line) = e.Kind switch
                {
                    EditKind.Equal => (' ', a[e.OldIndex]),
                    EditKind.Delete => ('-', a[e.OldIndex]),
                    _ => ('+', b[e.NewIndex]),
                };
                added += e.Kind == EditKind.Insert ? 1 : 0;
                deleted += e.Kind == EditKind.Delete ? 1 : 0;
                text.Append(prefix);
                if (line.EndsWith('\n'))
                {
                    text.Append(line);
                }
                else
                {
                    text.Append(line).Append("\n\\ No newline at end of file\n");
                }
            }
        }

        return new FileDiff(text.ToString(), added, deleted);
    }

    private static string Range(int start, int count) => count == 1 ? $"{start}" : $"{start},{count}";

    private static int PositionBefore(List<Edit> edits, int index, bool old)
    {
        for (var i = index - 1; i >= 0; i--)
        {
            var e = edits[i];
            if (old && e.Kind != EditKind.Insert)
            {
                return e.OldIndex + 1;
            }

            if (!old && e.Kind != EditKind.Delete)
            {
                return e.NewIndex + 1;
            }
        }

        return 0;
    }

    private static bool IsBinary(byte[]? content) =>
        content is not null && content.AsSpan(0, Math.Min(content.Length, BinaryProbeBytes)).Contains((byte)0);

    /// <summary>Lines with their newline kept (the last one may have none).</summary>
    internal static string[] Lines(byte[]? content)
    {
        if (content is null || content.Length == 0)
        {
            return [];
        }

        var text = Encoding.UTF8.GetString(content);
        List<string> lines = [];
        var start = 0;
        while (start < text.Length)
        {
            var end = text.IndexOf('\n', start);
            if (end < 0)
            {
                lines.Add(text[start..]);
                break;
            }

            lines.Add(text[start..(end + 1)]);
            start = end + 1;
        }

        return [.. lines];
    }

    private static IEnumerable<(int Start, int End)> Hunks(List<Edit> edits)
    {
        var i = 0;
        while (i < edits.Count)
        {
            while (i < edits.Count && edits[i].Kind == EditKind.Equal)
            {
                i++;
            }

            if (i == edits.Count)
            {
                yield break;
            }

            var start = Math.Max(0, i - Context);
            var end = i;
            while (true)
            {
                while (end < edits.Count && edits[end].Kind != EditKind.Equal)
                {
                    end++;
                }

                // Equal lines up to the next change: if they fit in two contexts, the hunks merge.
                var next = end;
                while (next < edits.Count && edits[next].Kind == EditKind.Equal)
                {
                    next++;
                }

                if (next < edits.Count && next - end <= 2 * Context)
                {
                    end = next;
                    continue;
                }

                end = Math.Min(edits.Count, end + Context);
                break;
            }

            yield return (start, end);
            i = end;
        }
    }

    internal enum EditKind
    {
        Equal,
        Delete,
        Insert,
    }

    internal readonly record struct Edit(EditKind Kind, int OldIndex, int NewIndex);

    /// <summary>The edit script from <paramref name="a"/> to <paramref name="b"/> (Myers, with the common ends trimmed first).</summary>
    internal static List<Edit> Edits(string[] a, string[] b)
    {
        var prefix = 0;
        while (prefix < a.Length && prefix < b.Length && a[prefix] == b[prefix])
        {
            prefix++;
        }

        var suffix = 0;
        while (suffix < a.Length - prefix && suffix < b.Length - prefix && a[a.Length - 1 - suffix] == b[b.Length - 1 - suffix])
        {
            suffix++;
        }

        List<Edit> edits = [];
        for (var i = 0; i < prefix; i++)
        {
            edits.Add(new Edit(EditKind.Equal, i, i));
        }

        edits.AddRange(Middle(a, b, prefix, a.Length - suffix, prefix, b.Length - suffix));
        for (var i = 0; i < suffix; i++)
        {
            edits.Add(new Edit(EditKind.Equal, a.Length - suffix + i, b.Length - suffix + i));
        }

        return edits;
    }

    private static List<Edit> Middle(string[] a, string[] b, int aStart, int aEnd, int bStart, int bEnd)
    {
        var n = aEnd - aStart;
        var m = bEnd - bStart;
        List<Edit> result = [];
        if (n == 0 || m == 0 || Math.Abs(n - m) > MaxEditDistance)
        {
            Replace(result, aStart, aEnd, bStart, bEnd);
            return result;
        }

        // trace[d][k + d] = the furthest x on diagonal k after d edits.
        List<int[]> trace = [];
        var previous = Array.Empty<int>();
        var found = -1;
        for (var d = 0; d <= Math.Min(n + m, MaxEditDistance); d++)
        {
            var v = new int[(2 * d) + 1];
            for (var k = -d; k <= d; k += 2)
            {
                int x;
                if (d == 0)
                {
                    x = 0;
                }
                else if (k == -d || (k != d && previous[k - 1 + (d - 1)] < previous[k + 1 + (d - 1)]))
                {
                    x = previous[k + 1 + (d - 1)];
                }
                else
                {
                    x = previous[k - 1 + (d - 1)] + 1;
                }

                var y = x - k;
                while (x < n && y < m && a[aStart + x] == b[bStart + y])
                {
                    x++;
                    y++;
                }

                v[k + d] = x;
                if (x >= n && y >= m)
                {
                    found = d;
                    break;
                }
            }

            trace.Add(v);
            previous = v;
            if (found >= 0)
            {
                break;
            }
        }

        if (found < 0)
        {
            Replace(result, aStart, aEnd, bStart, bEnd);
            return result;
        }

        // Walk back from (n, m), collecting the script in reverse.
        var cx = n;
        var cy = m;
        for (var d = found; d > 0; d--)
        {
            var prev = trace[d - 1];
            var k = cx - cy;
            var down = k == -d || (k != d && prev[k - 1 + (d - 1)] < prev[k + 1 + (d - 1)]);
            var prevK = down ? k + 1 : k - 1;
            var prevX = prev[prevK + (d - 1)];
            var prevY = prevX - prevK;
            while (cx > prevX && cy > prevY)
            {
                cx--;
                cy--;
                result.Add(new Edit(EditKind.Equal, aStart + cx, bStart + cy));
            }

            if (down)
            {
                cy--;
                result.Add(new Edit(EditKind.Insert, aStart + cx, bStart + cy));
            }
            else
            {
                cx--;
                result.Add(new Edit(EditKind.Delete, aStart + cx, bStart + cy));
            }
        }

        while (cx > 0 && cy > 0)
        {
            cx--;
            cy--;
            result.Add(new Edit(EditKind.Equal, aStart + cx, bStart + cy));
        }

        result.Reverse();
        return result;
    }

    private static void Replace(List<Edit> result, int aStart, int aEnd, int bStart, int bEnd)
    {
        for (var i = aStart; i < aEnd; i++)
        {
            result.Add(new Edit(EditKind.Delete, i, bStart));
        }

        for (var j = bStart; j < bEnd; j++)
        {
            result.Add(new Edit(EditKind.Insert, aEnd, j));
        }
    }
}
