namespace Shadow.Sidecar.Search;

/// <summary>
/// Scores a path against a query whose characters must appear in order (case-insensitive subsequence). The best
/// alignment is found with a small dynamic programme over (query char, path position): every matched char earns a
/// base score, more at a word start (after <c>/ _ - .</c> or a lower-to-upper case change) and inside the file name;
/// a match right after the previous one earns a contiguity bonus, a gap costs a little; shorter paths win ties.
/// </summary>
internal sealed class FuzzyScorer
{
    private const int NoMatch = int.MinValue / 2;
    private const int CharScore = 10;
    private const int WordStartBonus = 8;
    private const int FileNameBonus = 6;
    private const int ExactCaseBonus = 1;
    private const int ContiguousBonus = 12;
    private const int GapPenalty = 3;

    private readonly string _query;
    private readonly string _lowerQuery;
    private int[] _previous = new int[256];
    private int[] _current = new int[256];

    public FuzzyScorer(string query)
    {
        _query = query;
        _lowerQuery = query.ToLowerInvariant();
    }

    /// <summary>The score of <paramref name="path"/> (forward slashes), or 0 when the query is not a subsequence of it.</summary>
    public int Score(ReadOnlySpan<char> path)
    {
        var query = _lowerQuery.AsSpan();
        var m = query.Length;
        var n = path.Length;
        if (m == 0 || m > n || !IsSubsequence(query, path))
        {
            return 0;
        }

        if (_previous.Length < n)
        {
            _previous = new int[Math.Max(n, _previous.Length * 2)];
            _current = new int[_previous.Length];
        }

        var nameStart = path.LastIndexOf('/') + 1;
        var previous = _previous.AsSpan(0, n);
        var current = _current.AsSpan(0, n);
        for (var j = 0; j < n; j++)
        {
            previous[j] = Lower(path[j]) == query[0] ? CharValue(path, j, nameStart, _query[0]) : NoMatch;
        }

        for (var i = 1; i < m; i++)
        {
            var q = query[i];
            var bestBeforeGap = NoMatch;
            for (var j = 0; j < n; j++)
            {
                if (j >= 2 && previous[j - 2] > bestBeforeGap)
                {
                    bestBeforeGap = previous[j - 2];
                }

                if (j < i || Lower(path[j]) != q)
                {
                    current[j] = NoMatch;
                    continue;
                }

                var best = previous[j - 1] == NoMatch ? NoMatch : previous[j - 1] + ContiguousBonus;
                if (bestBeforeGap != NoMatch && bestBeforeGap - GapPenalty > best)
                {
                    best = bestBeforeGap - GapPenalty;
                }

                current[j] = best == NoMatch ? NoMatch : best + CharValue(path, j, nameStart, _query[i]);
            }

            var swap = previous;
            previous = current;
            current = swap;
        }

        var score = NoMatch;
        foreach (var value in previous)
        {
            score = Math.Max(score, value);
        }

        if (score == NoMatch)
        {
            return 0;
        }

        var name = path[nameStart..];
        if (name.Equals(_query, StringComparison.OrdinalIgnoreCase))
        {
            score += 40;
        }
        else if (name.StartsWith(_query, StringComparison.OrdinalIgnoreCase))
        {
            score += 20;
        }

        // Shorter paths first among otherwise equal matches, without letting length swamp match quality.
        return Math.Max(1, score - Math.Min(n, 200) / 4);
    }

    private static bool IsSubsequence(ReadOnlySpan<char> lowerQuery, ReadOnlySpan<char> path)
    {
        var q = 0;
        for (var j = 0; j < path.Length && q < lowerQuery.Length; j++)
        {
            if (Lower(path[j]) == lowerQuery[q])
            {
                q++;
            }
        }

        return q == lowerQuery.Length;
    }

    private static int CharValue(ReadOnlySpan<char> path, int j, int nameStart, char queryChar)
    {
        var value = CharScore;
        if (j == 0 || j == nameStart || path[j - 1] is '/' or '_' or '-' or '.' or ' ' || (char.IsLower(path[j - 1]) && char.IsUpper(path[j])))
        {
            value += WordStartBonus;
        }

        if (j >= nameStart)
        {
            value += FileNameBonus;
        }

        if (path[j] == queryChar)
        {
            value += ExactCaseBonus;
        }

        return value;
    }

    private static char Lower(char c) => c is >= 'A' and <= 'Z' ? (char)(c + 32) : char.ToLowerInvariant(c);
}
