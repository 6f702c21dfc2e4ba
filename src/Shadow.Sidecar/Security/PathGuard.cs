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
    /// also be inside the root. Empty or "." means the root itself when <paramref name="allowRoot"/> is set. With
    /// <paramref name="followLeafLink"/> a final link is replaced by its canonical (contained) target, even a dangling
    /// one: what a write through the link would create.
    /// </summary>
    public string Resolve(string? relativePath, bool allowRoot = false, string parameterName = "path", bool followLeafLink = false)
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

        var normalized = relativePath.Contains('\\', StringComparison.Ordinal) ? relativePath.Replace('\\', '/') : relativePath;
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

        var leafStart = lexical.LastIndexOf('/');
        var parent = lexical[..leafStart];
        var leaf = lexical[(leafStart + 1)..];

        // The root is canonical already: files directly in it need no realpath walk.
        var canonicalParent = parent.Length == Root.Length ? Root : CanonicalizeExistingPrefix(parent, parameterName, relativePath);
        if (!IsInside(canonicalParent, allowRoot: true))
        {
            throw Escape(parameterName, relativePath);
        }

        var resolved = canonicalParent.Length == 1 ? "/" + leaf : canonicalParent + "/" + leaf;
        if (IsLink(resolved))
        {
            var target = ResolveLinkTarget(resolved, parameterName, relativePath);
            if (!IsInside(target, allowRoot: true))
            {
                throw SidecarException.BadRequest($"'{parameterName}' ('{relativePath}') is a symbolic link that resolves outside the workspace.");
            }

            return followLeafLink ? target : resolved;
        }

        return resolved;
    }

    /// <summary>The path of <paramref name="absolutePath"/> relative to the root, with forward slashes.</summary>
    public string ToRelative(string absolutePath)
    {
        if (absolutePath.Length > Root.Length + 1 && absolutePath.StartsWith(Root, StringComparison.Ordinal) && absolutePath[Root.Length] == '/')
        {
            return absolutePath[(Root.Length + 1)..];
        }

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
                // A dangling link in the middle of the path: judge it by where it would lead once its target exists.
                var target = ResolveDanglingLink(current, parameterName, original, hops: 0);
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

    /// <summary>The canonical final target of the link <paramref name="link"/>, following a dangling chain as far as it goes.</summary>
    private string ResolveLinkTarget(string link, string parameterName, string original)
    {
        var real = RealPath(link, out var errno);
        if (real is not null)
        {
            return real;
        }

        if (errno == Eloop)
        {
            throw SidecarException.BadRequest($"'{parameterName}' ('{original}') goes through a symbolic link loop.");
        }

        return ResolveDanglingLink(link, parameterName, original, hops: 0);
    }

    /// <summary>
    /// Where a dangling link leads: its target's existing prefix canonicalised (so a link inside the target's folders is
    /// followed as the kernel would) with the missing rest appended; if that is itself a link, on to its target.
    /// A plain lexical join would let <c>a -> d/x</c> with <c>d -> /tmp</c> create <c>/tmp/x</c> on write.
    /// </summary>
    private string ResolveDanglingLink(string link, string parameterName, string original, int hops)
    {
        if (hops >= MaxLinkHops)
        {
            throw SidecarException.BadRequest($"'{parameterName}' ('{original}') goes through a symbolic link loop.");
        }

        var lexicalTarget = LexicalLinkTarget(link, parameterName, original);
        if (lexicalTarget == "/")
        {
            return lexicalTarget;
        }

        var targetParent = Path.GetDirectoryName(lexicalTarget) ?? "/";
        var canonicalParent = CanonicalizeExistingPrefix(targetParent, parameterName, original);
        if (!IsInside(canonicalParent, allowRoot: true))
        {
            return canonicalParent;
        }

        var candidate = (canonicalParent.Length == 1 ? "/" : canonicalParent + "/") + Path.GetFileName(lexicalTarget);
        if (!IsLink(candidate))
        {
            return candidate;
        }

        var real = RealPath(candidate, out var errno);
        if (real is not null)
        {
            return real;
        }

        return errno == Eloop
            ? throw SidecarException.BadRequest($"'{parameterName}' ('{original}') goes through a symbolic link loop.")
            : ResolveDanglingLink(candidate, parameterName, original, hops + 1);
    }

    private static string LexicalLinkTarget(string link, string parameterName, string original)
    {
        try
        {
            var target = new FileInfo(link).LinkTarget ?? link;
            return Path.GetFullPath(Path.Combine(Path.GetDirectoryName(link)!, target)).TrimEnd('/') is { Length: > 0 } t ? t : "/";
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
    private const int MaxLinkHops = 40;

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
