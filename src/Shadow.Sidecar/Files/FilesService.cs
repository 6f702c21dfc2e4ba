using System.Buffers;
using System.IO.Enumeration;
using System.Text;
using Microsoft.Win32.SafeHandles;
using Shadow.Sidecar.Contracts.Files;
using Shadow.Sidecar.Hosting;
using Shadow.Sidecar.Security;

namespace Shadow.Sidecar.Files;

/// <summary>
/// The file operations behind <c>/files/*</c>. Every path goes through <see cref="PathGuard"/> first. Single-file
/// operations touch only that file (no walks); the hot paths (read, write, list) avoid a stat before the real call
/// and decode only the bytes they return.
/// </summary>
internal sealed class FilesService(PathGuard guard, SidecarOptions options)
{
    /// <summary>A NUL byte in the first 8 KiB marks a file as binary (as git and ripgrep decide).</summary>
    public const int BinarySniffBytes = 8192;

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    private readonly FilesOptions _options = options.Files;

    public ReadFileResponse Read(string? path, int? offset, int? limit)
    {
        if (offset < 0)
        {
            throw SidecarException.BadRequest($"'offset' must be 0 or more (a 0-based line index); got {offset}.");
        }

        if (limit < 1)
        {
            throw SidecarException.BadRequest($"'limit' must be at least 1 (a number of lines); got {limit}.");
        }

        var full = guard.Resolve(path);
        var relative = guard.ToRelative(full);
        using var handle = OpenRead(full, relative);
        var size = RandomAccess.GetLength(handle);
        var first = offset ?? 0;
        if (size <= _options.MaxReadBytes)
        {
            return ReadWhole(handle, size, relative, first, limit);
        }

        if (limit is null)
        {
            throw SidecarException.TooLarge(
                $"'{relative}' is {size} bytes; the read limit is {_options.MaxReadBytes} bytes (Sidecar:Files:MaxReadBytes). Read it in parts with offset and limit.");
        }

        return ReadRange(handle, size, relative, first, limit.Value);
    }

    public WriteFileResponse Write(WriteFileRequest request)
    {
        var full = guard.Resolve(request.Path, followLeafLink: true);
        var relative = guard.ToRelative(full);
        var content = request.Content;
        // Small contents: one pass with the worst-case size; large ones: count first rather than rent 3x the text.
        var buffer = ArrayPool<byte>.Shared.Rent(content.Length < 64 * 1024 ? Utf8.GetMaxByteCount(content.Length) : Utf8.GetByteCount(content));
        try
        {
            var length = Utf8.GetBytes(content, buffer);
            var created = AtomicFile.Write(full, buffer.AsSpan(0, length), request.CreateDirectories ?? true, _options.FsyncOnWrite, relative);
            return new WriteFileResponse(relative, length, created);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public DeleteFileResponse Delete(DeleteFileRequest request)
    {
        var full = guard.Resolve(request.Path, allowRoot: true);
        if (full.Length == guard.Root.Length)
        {
            throw SidecarException.BadRequest("Refusing to delete the workspace root itself; name a path inside it.");
        }

        var relative = guard.ToRelative(full);
        try
        {
            var attributes = File.GetAttributes(full);
            if ((attributes & FileAttributes.ReparsePoint) != 0)
            {
                // The link itself goes; what it points at stays.
                File.Delete(full);
                return new DeleteFileResponse(relative, FileEntryType.Symlink);
            }

            if ((attributes & FileAttributes.Directory) != 0)
            {
                Directory.Delete(full, recursive: request.Recursive ?? false);
                return new DeleteFileResponse(relative, FileEntryType.Directory);
            }

            File.Delete(full);
            return new DeleteFileResponse(relative, FileEntryType.File);
        }
        catch (Exception e) when (FileErrors.Map(e, relative) is { } mapped)
        {
            throw mapped;
        }
    }

    public FileStatsResponse Stats(string? path)
    {
        var full = guard.Resolve(path, allowRoot: true);
        var relative = guard.ToRelative(full);
        var info = new FileInfo(full);
        var attributes = info.Attributes;
        if ((int)attributes == -1)
        {
            throw SidecarException.NotFound($"'{relative}' does not exist.");
        }

        FileEntryType type;
        long size;
        string? linkTarget = null;
        if ((attributes & FileAttributes.ReparsePoint) != 0)
        {
            type = FileEntryType.Symlink;
            linkTarget = info.LinkTarget;
            size = linkTarget is null ? 0 : Encoding.UTF8.GetByteCount(linkTarget);
        }
        else if ((attributes & FileAttributes.Directory) != 0)
        {
            type = FileEntryType.Directory;
            size = 0;
        }
        else
        {
            type = FileEntryType.File;
            size = info.Length;
        }

        return new FileStatsResponse(relative, type, size, new DateTimeOffset(info.LastWriteTimeUtc, TimeSpan.Zero), FormatMode(info.UnixFileMode), linkTarget);
    }

    public ListFilesResponse List(string? path)
    {
        var full = guard.Resolve(path, allowRoot: true);
        var relative = guard.ToRelative(full);
        var prefix = relative.Length == 0 ? string.Empty : relative + "/";
        var max = _options.MaxListEntries;
        var entries = new List<FileEntry>();
        bool truncated;
        try
        {
            var enumerable = new FileSystemEnumerable<FileEntry>(full, (ref entry) =>
            {
                var name = entry.FileName.ToString();
                var type = TypeOf(ref entry);
                return new FileEntry(name, prefix + name, type, type == FileEntryType.File ? entry.Length : 0);
            }, ListOptions);

            truncated = TakeBounded(enumerable, entries, max);
        }
        catch (DirectoryNotFoundException) when (File.Exists(full))
        {
            throw SidecarException.BadRequest($"'{relative}' is a file, not a folder; use stats or read for files.");
        }
        catch (Exception e) when (FileErrors.Map(e, relative) is { } mapped)
        {
            throw mapped;
        }

        entries.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        return new ListFilesResponse(relative, entries, truncated);
    }

    public ListRecursiveResponse ListRecursive(string? path, int? maxEntries)
    {
        if (maxEntries < 1)
        {
            throw SidecarException.BadRequest($"'maxEntries' must be at least 1; got {maxEntries}.");
        }

        var max = Math.Min(maxEntries ?? _options.ListRecursiveDefaultEntries, _options.ListRecursiveMaxEntries);
        var full = guard.Resolve(path, allowRoot: true);
        var relative = guard.ToRelative(full);
        var rootLength = guard.Root.Length;
        var entries = new List<RecursiveEntry>();
        bool truncated;
        try
        {
            var enumerable = new FileSystemEnumerable<RecursiveEntry>(full, (ref entry) =>
            {
                var directory = entry.Directory;
                var rel = directory.Length > rootLength
                    ? string.Concat(directory[(rootLength + 1)..], "/", entry.FileName)
                    : entry.FileName.ToString();
                return new RecursiveEntry(rel, TypeOf(ref entry));
            }, RecursiveOptions)
            {
                ShouldIncludePredicate = static (ref entry) => !entry.FileName.SequenceEqual(".git"),
                // Never descend into .git or through a link (a link to a folder could lead anywhere, or loop).
                ShouldRecursePredicate = static (ref entry) => !IsLink(ref entry) && !entry.FileName.SequenceEqual(".git"),
            };

            truncated = TakeBounded(enumerable, entries, max);
        }
        catch (DirectoryNotFoundException) when (File.Exists(full))
        {
            throw SidecarException.BadRequest($"'{relative}' is a file, not a folder.");
        }
        catch (Exception e) when (FileErrors.Map(e, relative) is { } mapped)
        {
            throw mapped;
        }

        entries.Sort(static (a, b) => string.CompareOrdinal(a.Path, b.Path));
        return new ListRecursiveResponse(relative, entries, truncated);
    }

    // Fills entries with at most max items; true when the source had more.
    private static bool TakeBounded<T>(IEnumerable<T> source, List<T> entries, int max)
    {
        foreach (var item in source)
        {
            if (entries.Count == max)
            {
                return true;
            }

            entries.Add(item);
        }

        return false;
    }

    public SearchReplaceResponse SearchReplace(SearchReplaceRequest request)
    {
        if (request.OldString.Length == 0)
        {
            throw SidecarException.BadRequest("'oldString' must not be empty.");
        }

        if (string.Equals(request.OldString, request.NewString, StringComparison.Ordinal))
        {
            throw SidecarException.BadRequest("'oldString' and 'newString' are identical; nothing would change.");
        }

        var full = guard.Resolve(request.Path, followLeafLink: true);
        var relative = guard.ToRelative(full);
        byte[] content;
        int length;
        using (var handle = OpenRead(full, relative))
        {
            var size = RandomAccess.GetLength(handle);
            if (size > _options.MaxReadBytes)
            {
                throw SidecarException.TooLarge($"'{relative}' is {size} bytes; search-replace handles at most {_options.MaxReadBytes} bytes (Sidecar:Files:MaxReadBytes).");
            }

            (content, length) = ReadAll(handle, size);
        }

        try
        {
            var text = content.AsSpan(0, length);
            ThrowIfBinary(text, relative);
            var oldBytes = Utf8.GetBytes(request.OldString);
            var first = text.IndexOf(oldBytes);
            var count = first < 0 ? 0 : CountOccurrences(text, oldBytes, first);
            if (count != 1)
            {
                throw SidecarException.Conflict(count == 0
                    ? $"found 0 occurrences of oldString in '{relative}'; it must match the file exactly (whitespace and line endings included)."
                    : $"found {count} occurrences of oldString in '{relative}'; add context to make it unique.");
            }

            var newBytes = Utf8.GetBytes(request.NewString);
            var newLength = length - oldBytes.Length + newBytes.Length;
            var output = ArrayPool<byte>.Shared.Rent(Math.Max(newLength, 1));
            try
            {
                text[..first].CopyTo(output);
                newBytes.CopyTo(output.AsSpan(first));
                text[(first + oldBytes.Length)..].CopyTo(output.AsSpan(first + newBytes.Length));
                AtomicFile.Write(full, output.AsSpan(0, newLength), createDirectories: false, _options.FsyncOnWrite, relative);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(output);
            }

            var line = text[..first].Count((byte)'\n') + 1;
            return new SearchReplaceResponse(relative, newLength, line);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(content);
        }
    }

    private static int CountOccurrences(ReadOnlySpan<byte> text, ReadOnlySpan<byte> value, int first)
    {
        var count = 1;
        var position = first + value.Length;
        while (position <= text.Length - value.Length)
        {
            var next = text[position..].IndexOf(value);
            if (next < 0)
            {
                break;
            }

            count++;
            position += next + value.Length;
        }

        return count;
    }

    private ReadFileResponse ReadWhole(SafeFileHandle handle, long size, string relative, int offset, int? limit)
    {
        var (buffer, length) = ReadAll(handle, size);
        try
        {
            var bytes = buffer.AsSpan(0, length);
            ThrowIfBinary(bytes, relative);
            var newlines = bytes.Count((byte)'\n');
            var totalLines = newlines + (length > 0 && bytes[^1] != (byte)'\n' ? 1 : 0);
            if (offset == 0 && limit is null)
            {
                return new ReadFileResponse(relative, Utf8.GetString(bytes), 0, totalLines, totalLines, length, false);
            }

            var start = SkipLines(bytes, 0, offset);
            var end = limit is { } l ? SkipLines(bytes, start, l) : length;
            var lines = Math.Max(0, Math.Min(limit ?? int.MaxValue, totalLines - offset));
            return new ReadFileResponse(relative, Utf8.GetString(bytes[start..end]), offset, lines, totalLines, length, offset + lines < totalLines);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The byte index after <paramref name="count"/> more line terminators from <paramref name="start"/> (or the end).</summary>
    private static int SkipLines(ReadOnlySpan<byte> bytes, int start, int count)
    {
        var position = start;
        for (var i = 0; i < count && position < bytes.Length; i++)
        {
            var next = bytes[position..].IndexOf((byte)'\n');
            if (next < 0)
            {
                return bytes.Length;
            }

            position += next + 1;
        }

        return position;
    }

    /// <summary>A file above the cap, read in chunks: only the selected lines are kept (and must fit the cap).</summary>
    private ReadFileResponse ReadRange(SafeFileHandle handle, long size, string relative, int offset, int limit)
    {
        var end = (long)offset + limit;
        var cap = _options.MaxReadBytes;
        var chunk = ArrayPool<byte>.Shared.Rent(64 * 1024);
        var selected = new ArrayBufferWriter<byte>();
        try
        {
            long line = 0;
            long position = 0;
            byte last = (byte)'\n';
            int read;
            while ((read = RandomAccess.Read(handle, chunk, position)) > 0)
            {
                var span = chunk.AsSpan(0, read);
                if (position == 0)
                {
                    ThrowIfBinary(span, relative);
                }

                position += read;
                last = span[^1];
                var at = 0;
                while (at < span.Length)
                {
                    if (line >= end)
                    {
                        line += span[at..].Count((byte)'\n');
                        break;
                    }

                    var next = span[at..].IndexOf((byte)'\n');
                    var stop = next < 0 ? span.Length : at + next + 1;
                    if (line >= offset)
                    {
                        if (selected.WrittenCount + (stop - at) > cap)
                        {
                            throw SidecarException.TooLarge(
                                $"'{relative}' is {size} bytes and the selected lines exceed the read limit of {cap} bytes (Sidecar:Files:MaxReadBytes); ask for fewer lines.");
                        }

                        selected.Write(span[at..stop]);
                    }

                    if (next >= 0)
                    {
                        line++;
                    }

                    at = stop;
                }
            }

            var totalLines = (int)Math.Min(int.MaxValue, line + (position > 0 && last != (byte)'\n' ? 1 : 0));
            var lines = (int)Math.Max(0, Math.Min(limit, totalLines - (long)offset));
            return new ReadFileResponse(relative, Utf8.GetString(selected.WrittenSpan), offset, lines, totalLines, position, offset + (long)lines < totalLines);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    /// <summary>Reads up to <paramref name="size"/> bytes into a pooled buffer (the caller returns it).</summary>
    private static (byte[] Buffer, int Length) ReadAll(SafeFileHandle handle, long size)
    {
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Max(size, 1));
        var length = 0;
        try
        {
            int read;
            while (length < size && (read = RandomAccess.Read(handle, buffer.AsSpan(length, (int)size - length), length)) > 0)
            {
                length += read;
            }

            return (buffer, length);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    private static void ThrowIfBinary(ReadOnlySpan<byte> bytes, string relative)
    {
        if (bytes[..Math.Min(bytes.Length, BinarySniffBytes)].IndexOf((byte)0) >= 0)
        {
            throw SidecarException.Unprocessable($"'{relative}' looks binary (it contains NUL bytes); the files API reads and edits UTF-8 text only.");
        }
    }

    private static SafeFileHandle OpenRead(string full, string relative)
    {
        try
        {
            return File.OpenHandle(full, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, FileOptions.None);
        }
        catch (UnauthorizedAccessException) when (Directory.Exists(full))
        {
            throw SidecarException.BadRequest($"'{relative}' is a folder, not a file; use list or list-recursive for folders.");
        }
        catch (Exception e) when (FileErrors.Map(e, relative) is { } mapped)
        {
            throw mapped;
        }
    }

    private static readonly EnumerationOptions ListOptions = new()
    {
        RecurseSubdirectories = false,
        IgnoreInaccessible = true,
        AttributesToSkip = 0,
        ReturnSpecialDirectories = false,
    };

    private static readonly EnumerationOptions RecursiveOptions = new()
    {
        RecurseSubdirectories = true,
        IgnoreInaccessible = true,
        AttributesToSkip = 0,
        ReturnSpecialDirectories = false,
    };

    internal static bool IsLink(ref FileSystemEntry entry) => (entry.Attributes & FileAttributes.ReparsePoint) != 0;

    internal static FileEntryType TypeOf(ref FileSystemEntry entry) =>
        IsLink(ref entry) ? FileEntryType.Symlink : entry.IsDirectory ? FileEntryType.Directory : FileEntryType.File;

    /// <summary>Permission bits in octal with a leading zero, e.g. <c>0644</c> (<c>1777</c> with the sticky bit).</summary>
    internal static string FormatMode(UnixFileMode mode) => Convert.ToString((int)mode & 0xFFF, 8).PadLeft(4, '0');
}
