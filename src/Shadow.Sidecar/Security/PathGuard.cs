using System.Runtime.InteropServices;
using Shadow.Sidecar.Hosting;

namespace Shadow.Sidecar.Security;

/// <summary>
/// The one gate every path parameter passes through. A path is relative to the workspace root; absolute
/// paths, NUL bytes, over-long paths, <c>..</c> escapes and symlinks that resolve outside the root are refused
/// with 400. The check canonicalises the longest existing prefix with realpath(3), so a link anywhere on the
/// way is followed exactly as the kernel would follow it.
/// </summary>
internal sealed partial class PathGuard
{
    public const int MaxPathLength = 4096;

    public PathGuard(string root)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        Root = RealPath(Path.GetFullPath(root)) ?? throw new DirectoryNotFoundException($"Workspace '{root}' does not exist.");
    }

    /// <summary>The canonical workspace root (no trailing separator, no links).</summary>
    public string Root { get; }

    /// <summary>
    /// Resolves <paramref name="relativePath"/> to a canonical absolute path inside the root. The final component is
    /// kept as named (so a symlink inside the workspace can itself be deleted), but if it is a link its target must
    /// also be inside the root. Empty or "." means the root itself when <paramref name="allowRoot"/> is set.
    /// </summary>
    public string Resolve(string? relativePath, bool allowRoot = false, string parameterName = "path")
    {
        if (string.IsNullOrEmpty(relativePath) || relativePath is "." or "./")
        {
            return allowRoot ? Root : throw SidecarException.BadRequest($"'{parameterName}' is required and must name a path inside the workspace.");
        }

        if (relativePath.Length > MaxPathLength)
        {
            throw SidecarException.BadRequest($"'{parameterName}' is {relativePath.Length} characters long; the limit is {MaxPathLength}.");
        }

        if (relativePath.Contains('\0', StringComparison.Ordinal))
        {
            throw SidecarException.BadRequest($"'{parameterName}' contains a NUL byte.");
        }

        var normalized = relativePath.Replace('\\', '/');
        if (Path.IsPathRooted(normalized) || normalized.StartsWith('~'))
        {
            throw SidecarException.BadRequest($"'{parameterName}' must be relative to the workspace root; absolute paths are not allowed.");
        }

        var lexical = Path.GetFullPath(Path.Combine(Root, normalized)).TrimEnd('/');
        if (!IsInside(lexical, allowRoot))
        {
            throw Escape(parameterName, relativePath);
        }

        if (lexical.Length == Root.Length)
        {
            return Root;
        }

        var parent = Path.GetDirectoryName(lexical)!;
        var leaf = Path.GetFileName(lexical);
        var canonicalParent = CanonicalizeExistingPrefix(parent, parameterName, relativePath);
        if (!IsInside(canonicalParent, allowRoot: true))
        {
            throw Escape(parameterName, relativePath);
        }

        var resolved = canonicalParent.Length == 1 ? "/" + leaf : canonicalParent + "/" + leaf;
        if (IsLink(resolved))
        {
            var target = RealPath(resolved);
            // A dangling link may still be created through on write; judge it by where it points.
            target ??= LexicalLinkTarget(resolved, parameterName, relativePath);
            if (!IsInside(target, allowRoot: true))
            {
                throw SidecarException.BadRequest($"'{parameterName}' ('{relativePath}') is a symbolic link that resolves outside the workspace.");
            }
        }

        return resolved;
    }

    /// <summary>The path of <paramref name="absolutePath"/> relative to the root, with forward slashes.</summary>
    public string ToRelative(string absolutePath)
    {
        var rel = Path.GetRelativePath(Root, absolutePath).Replace('\\', '/');
        return rel == "." ? string.Empty : rel;
    }

    /// <summary>Whether a canonical absolute path lies inside the root.</summary>
    public bool IsInside(string canonicalPath, bool allowRoot) =>
        canonicalPath.Length == Root.Length
            ? allowRoot && string.Equals(canonicalPath, Root, StringComparison.Ordinal)
            : canonicalPath.StartsWith(Root, StringComparison.Ordinal) && (Root.Length == 1 || canonicalPath[Root.Length] == '/');

    private string CanonicalizeExistingPrefix(string absolute, string parameterName, string original)
    {
        // Walk up until something exists, canonicalise that, and re-append the parts that do not exist yet.
        var missing = new Stack<string>();
        var current = absolute;
        while (true)
        {
            var real = RealPath(current, out var errno);
            if (real is not null)
            {
                while (missing.Count > 0)
                {
                    real = real.Length == 1 ? "/" + missing.Pop() : real + "/" + missing.Pop();
                }

                return real;
            }

            if (errno == Eloop)
            {
                throw SidecarException.BadRequest($"'{parameterName}' ('{original}') goes through a symbolic link loop.");
            }

            if (errno == Enametoolong)
            {
                throw SidecarException.BadRequest($"'{parameterName}' ('{original}') is too long for the file system.");
            }

            if (IsLink(current))
            {
                // A dangling link in the middle of the path: whatever it points at, it is not inside yet.
                var target = LexicalLinkTarget(current, parameterName, original);
                if (!IsInside(target, allowRoot: true))
                {
                    throw Escape(parameterName, original);
                }
            }

            var parent = Path.GetDirectoryName(current);
            if (parent is null)
            {
                return current;
            }

            missing.Push(Path.GetFileName(current));
            current = parent;
        }
    }

    private static string LexicalLinkTarget(string link, string parameterName, string original)
    {
        try
        {
            var target = new FileInfo(link).LinkTarget ?? link;
            return Path.GetFullPath(Path.Combine(Path.GetDirectoryName(link)!, target));
        }
        catch (IOException)
        {
            throw SidecarException.BadRequest($"'{parameterName}' ('{original}') goes through a symbolic link that cannot be resolved.");
        }
    }

    private static bool IsLink(string path)
    {
        try
        {
            return (File.GetAttributes(path) & FileAttributes.ReparsePoint) != 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static SidecarException Escape(string parameterName, string original) =>
        SidecarException.BadRequest($"'{parameterName}' ('{original}') resolves outside the workspace.");

    private const int Eloop = 40;
    private const int Enametoolong = 36;

    private static string? RealPath(string path) => RealPath(path, out _);

    private static string? RealPath(string path, out int errno)
    {
        var result = NativeRealPath(path, IntPtr.Zero);
        if (result == IntPtr.Zero)
        {
            errno = Marshal.GetLastPInvokeError();
            return null;
        }

        try
        {
            errno = 0;
            return Marshal.PtrToStringUTF8(result);
        }
        finally
        {
            NativeFree(result);
        }
    }

    [LibraryImport("libc", EntryPoint = "realpath", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial IntPtr NativeRealPath(string path, IntPtr resolved);

    [LibraryImport("libc", EntryPoint = "free")]
    private static partial void NativeFree(IntPtr ptr);
}
