using System.Buffers;
using System.IO.Enumeration;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.FileSystemGlobbing;
using Shadow.Sidecar.Contracts.Search;
using Shadow.Sidecar.Files;
using Shadow.Sidecar.Hosting;
using Shadow.Sidecar.Security;

namespace Shadow.Sidecar.Search;

/// <summary>
/// Fuzzy file-name search and grep, in process (no shell, no external <c>rg</c>). Both walk the workspace with a bound,
/// skip <c>.git</c> and never follow symbolic links (grep does not even read a linked file: its target was never checked).
/// </summary>
internal sealed class SearchService(PathGuard guard, SidecarOptions options, TimeProvider time)
{
    private const int MaxSkippedListed = 100;

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    private static readonly EnumerationOptions WalkOptions = new()
    {
        RecurseSubdirectories = true,
        IgnoreInaccessible = true,
        AttributesToSkip = 0,
        ReturnSpecialDirectories = false,
    };

    private readonly SearchOptions _options = options.Search;

    public FileSearchResponse SearchFiles(string? query, int? limit, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(query))
        {
            throw SidecarException.BadRequest("'query' is required: the characters to look for in file paths, in order.");
        }

        if (limit < 1)
        {
            throw SidecarException.BadRequest($"'limit' must be at least 1; got {limit}.");
        }

        var max = Math.Min(limit ?? _options.DefaultFileResults, _options.MaxFileResults);
        var scorer = new FuzzyScorer(query);
        var rootLength = guard.Root.Length;
        var pathBuffer = new char[PathGuard.MaxPathLength * 2];
        var lastScore = 0;
        var walked = 0;
        var walkLimit = _options.MaxWalkFiles;
        var walkCapped = false;
        var matches = new List<FileSearchMatch>();
        var enumerable = new FileSystemEnumerable<FileSearchMatch>(guard.Root, (ref entry) =>
            new FileSearchMatch(RelativePath(ref entry, rootLength), lastScore), WalkOptions)
        {
            // Past the walk limit nothing is scored and no folder is entered, so the enumeration drains quickly.
            ShouldRecursePredicate = (ref entry) => !walkCapped && ShouldRecurse(ref entry),
            ShouldIncludePredicate = (ref entry) =>
            {
                if (entry.IsDirectory || walkCapped)
                {
                    return false;
                }

                if (++walked > walkLimit)
                {
                    walkCapped = true;
                    return false;
                }

                // Score the relative path in a reused buffer: only matches allocate a string.
                var length = WriteRelativePath(ref entry, rootLength, pathBuffer);
                lastScore = length < 0 ? 0 : scorer.Score(pathBuffer.AsSpan(0, length));
                return lastScore > 0;
            },
        };

        foreach (var match in enumerable)
        {
            matches.Add(match);
            if ((matches.Count & 1023) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }
        }

        var truncated = walkCapped;

        matches.Sort(static (a, b) =>
            a.Score != b.Score ? b.Score.CompareTo(a.Score)
            : a.Path.Length != b.Path.Length ? a.Path.Length.CompareTo(b.Path.Length)
            : string.CompareOrdinal(a.Path, b.Path));
        if (matches.Count > max)
        {
            truncated = true;
            matches.RemoveRange(max, matches.Count - max);
        }

        return new FileSearchResponse(query, matches, truncated);
    }

    public GrepResponse Grep(GrepRequest request, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(request.Pattern))
        {
            throw SidecarException.BadRequest("'pattern' is required: a .NET regular expression.");
        }

        if (request.MaxResults < 1)
        {
            throw SidecarException.BadRequest($"'maxResults' must be at least 1; got {request.MaxResults}.");
        }

        var budget = TimeSpan.FromMilliseconds(_options.GrepTimeoutMillisecondsPerFile);
        Regex regex;
        try
        {
            var regexOptions = RegexOptions.CultureInvariant | (request.CaseSensitive ?? true ? RegexOptions.None : RegexOptions.IgnoreCase);
            regex = new Regex(request.Pattern, regexOptions, budget);
        }
        catch (ArgumentException e)
        {
            throw SidecarException.BadRequest($"'pattern' is not a valid .NET regular expression: {e.Message}");
        }

        var matcher = BuildMatcher(request.Include, request.Exclude);
        var maxResults = Math.Min(request.MaxResults ?? _options.DefaultGrepResults, _options.MaxGrepResults);
        var start = guard.Resolve(request.Path, allowRoot: true);
        var startRelative = guard.ToRelative(start);

        var (files, truncated) = CollectFiles(start, startRelative, matcher);
        var matches = new List<GrepMatch>();
        var skipped = new List<GrepSkippedFile>();
        var searched = 0;
        var chars = Array.Empty<char>();
        try
        {
            foreach (var file in files)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (matches.Count > maxResults)
                {
                    break;
                }

                var outcome = GrepFile(file, regex, budget, maxResults, matches, ref chars);
                if (outcome is null)
                {
                    searched++;
                }
                else if (outcome.Length > 0)
                {
                    searched++;
                    if (skipped.Count < MaxSkippedListed)
                    {
                        skipped.Add(new GrepSkippedFile(file.Relative, outcome));
                    }
                }
            }
        }
        finally
        {
            if (chars.Length > 0)
            {
                ArrayPool<char>.Shared.Return(chars);
            }
        }

        if (matches.Count > maxResults)
        {
            truncated = true;
            matches.RemoveRange(maxResults, matches.Count - maxResults);
        }

        return new GrepResponse(matches, truncated, searched, skipped);
    }

    private readonly record struct Candidate(string Full, string Relative, long Length);

    /// <summary>The files to grep, sorted by path: the start file itself, or a bounded walk below the start folder.</summary>
    private (List<Candidate> Files, bool Truncated) CollectFiles(string start, string startRelative, Matcher? matcher)
    {
        var info = new FileInfo(start);
        var attributes = info.Attributes;
        if ((int)attributes == -1)
        {
            throw SidecarException.NotFound($"'{startRelative}' does not exist.");
        }

        if ((attributes & FileAttributes.Directory) == 0)
        {
            // A file named explicitly is searched whatever the globs say (as rg does).
            return ([new Candidate(start, startRelative, (attributes & FileAttributes.ReparsePoint) != 0 ? -1 : info.Length)], false);
        }

        var rootLength = guard.Root.Length;
        var files = new List<Candidate>();
        var truncated = false;
        var enumerable = new FileSystemEnumerable<Candidate>(start, (ref entry) =>
            new Candidate(entry.ToFullPath(), RelativePath(ref entry, rootLength), entry.Length), WalkOptions)
        {
            ShouldRecursePredicate = static (ref entry) => ShouldRecurse(ref entry),
            // Empty files cannot match; skipping them also skips FIFOs (size 0), whose open would block forever.
            ShouldIncludePredicate = static (ref entry) => !entry.IsDirectory && !FilesService.IsLink(ref entry) && entry.Length > 0,
        };

        try
        {
            foreach (var candidate in enumerable)
            {
                if (matcher is not null && !matcher.Match(candidate.Relative).HasMatches)
                {
                    continue;
                }

                if (files.Count == _options.MaxWalkFiles)
                {
                    truncated = true;
                    break;
                }

                files.Add(candidate);
            }
        }
        catch (Exception e) when (FileErrors.Map(e, startRelative) is { } mapped)
        {
            throw mapped;
        }

        files.Sort(static (a, b) => string.CompareOrdinal(a.Relative, b.Relative));
        return (files, truncated);
    }

    /// <summary>Greps one file into <paramref name="matches"/>; null when searched, "" when skipped silently (binary), else why not.</summary>
    private string? GrepFile(Candidate file, Regex regex, TimeSpan budget, int maxResults, List<GrepMatch> matches, ref char[] chars)
    {
        if (file.Length < 0)
        {
            return "it is a symbolic link; grep does not follow links";
        }

        if (file.Length > _options.MaxGrepFileBytes)
        {
            return $"it is {file.Length} bytes, above the grep limit of {_options.MaxGrepFileBytes} (Sidecar:Search:MaxGrepFileBytes)";
        }

        byte[]? bytes = null;
        try
        {
            int length;
            using (var handle = File.OpenHandle(file.Full, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
            {
                var size = (int)Math.Min(RandomAccess.GetLength(handle), _options.MaxGrepFileBytes);
                bytes = ArrayPool<byte>.Shared.Rent(Math.Max(size, 1));
                length = 0;
                int read;
                while (length < size && (read = RandomAccess.Read(handle, bytes.AsSpan(length, size - length), length)) > 0)
                {
                    length += read;
                }
            }

            var span = bytes.AsSpan(0, length);
            if (span[..Math.Min(length, FilesService.BinarySniffBytes)].IndexOf((byte)0) >= 0)
            {
                return string.Empty;
            }

            var needed = Utf8.GetMaxCharCount(length);
            if (chars.Length < needed)
            {
                if (chars.Length > 0)
                {
                    ArrayPool<char>.Shared.Return(chars);
                }

                chars = ArrayPool<char>.Shared.Rent(Math.Max(needed, 4096));
            }

            var count = Utf8.GetChars(span, chars);
            return GrepText(file.Relative, chars.AsSpan(0, count), regex, budget, maxResults, matches);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "it could not be read";
        }
        finally
        {
            if (bytes is not null)
            {
                ArrayPool<byte>.Shared.Return(bytes);
            }
        }
    }

    private string? GrepText(string relative, ReadOnlySpan<char> text, Regex regex, TimeSpan budget, int maxResults, List<GrepMatch> matches)
    {
        var started = time.GetTimestamp();
        var lineNumber = 0;
        var position = 0;
        try
        {
            while (position < text.Length)
            {
                lineNumber++;
                var newline = text[position..].IndexOf('\n');
                var end = newline < 0 ? text.Length : position + newline;
                var line = text[position..end];
                if (line.Length > 0 && line[^1] == '\r')
                {
                    line = line[..^1];
                }

                foreach (var match in regex.EnumerateMatches(line))
                {
                    matches.Add(new GrepMatch(relative, lineNumber, match.Index + 1, Clip(line, match.Index, match.Length)));
                    break;
                }

                if (matches.Count > maxResults)
                {
                    return null;
                }

                if (time.GetElapsedTime(started) > budget)
                {
                    return TimedOut(budget, lineNumber);
                }

                position = end + 1;
            }
        }
        catch (RegexMatchTimeoutException)
        {
            return TimedOut(budget, lineNumber);
        }

        return null;
    }

    private static string TimedOut(TimeSpan budget, int line) =>
        $"the pattern timed out after {budget.TotalMilliseconds:0} ms (at line {line}); results for this file may be incomplete (Sidecar:Search:GrepTimeoutMillisecondsPerFile)";

    private string Clip(ReadOnlySpan<char> line, int index, int length)
    {
        var max = _options.MaxLineLength;
        if (line.Length <= max)
        {
            return line.ToString();
        }

        // Keep the match in view: a little context before it, the rest after.
        var start = Math.Clamp(index - (max / 4), 0, line.Length - max);
        if (length > max - (index - start))
        {
            start = index;
        }

        var take = Math.Min(max, line.Length - start);
        return string.Concat(start > 0 ? "…" : string.Empty, line.Slice(start, take), start + take < line.Length ? "…" : string.Empty);
    }

    /// <summary>
    /// Globs as ripgrep users write them: one without <c>/</c> matches a name at any depth (<c>*.cs</c>, <c>node_modules</c>),
    /// one with <c>/</c> matches the path from the workspace root. An excluded folder excludes everything below it.
    /// </summary>
    internal static Matcher? BuildMatcher(IReadOnlyList<string>? include, IReadOnlyList<string>? exclude)
    {
        if (include is not { Count: > 0 } && exclude is not { Count: > 0 })
        {
            return null;
        }

        var matcher = new Matcher(StringComparison.Ordinal);
        if (include is { Count: > 0 })
        {
            foreach (var glob in include)
            {
                matcher.AddInclude(Anchor(glob, "include"));
            }
        }
        else
        {
            matcher.AddInclude("**/*");
        }

        foreach (var glob in exclude ?? [])
        {
            var anchored = Anchor(glob, "exclude");
            matcher.AddExclude(anchored);
            matcher.AddExclude(anchored + "/**");
        }

        return matcher;
    }

    private static string Anchor(string glob, string field)
    {
        var trimmed = glob.Trim().Replace('\\', '/');
        if (trimmed.StartsWith("./", StringComparison.Ordinal))
        {
            trimmed = trimmed[2..];
        }

        trimmed = trimmed.TrimEnd('/');
        if (trimmed.Length == 0 || trimmed.StartsWith('/') || trimmed.Split('/').Contains(".."))
        {
            throw SidecarException.BadRequest($"'{field}' glob '{glob}' is not usable: globs are relative to the workspace root and may not be empty, absolute or contain '..'.");
        }

        return trimmed.Contains('/', StringComparison.Ordinal) ? trimmed : "**/" + trimmed;
    }

    private static bool ShouldRecurse(ref FileSystemEntry entry) => !FilesService.IsLink(ref entry) && !entry.FileName.SequenceEqual(".git");

    private static string RelativePath(ref FileSystemEntry entry, int rootLength)
    {
        var directory = entry.Directory;
        return directory.Length > rootLength
            ? string.Concat(directory[(rootLength + 1)..], "/", entry.FileName)
            : entry.FileName.ToString();
    }

    /// <summary>Writes the entry's root-relative path into <paramref name="buffer"/>; its length, or -1 when it does not fit.</summary>
    private static int WriteRelativePath(ref FileSystemEntry entry, int rootLength, char[] buffer)
    {
        var directory = entry.Directory;
        var name = entry.FileName;
        var span = buffer.AsSpan();
        if (directory.Length > rootLength)
        {
            var dir = directory[(rootLength + 1)..];
            if (dir.Length + 1 + name.Length > span.Length)
            {
                return -1;
            }

            dir.CopyTo(span);
            span[dir.Length] = '/';
            name.CopyTo(span[(dir.Length + 1)..]);
            return dir.Length + 1 + name.Length;
        }

        if (name.Length > span.Length)
        {
            return -1;
        }

        name.CopyTo(span);
        return name.Length;
    }
}
