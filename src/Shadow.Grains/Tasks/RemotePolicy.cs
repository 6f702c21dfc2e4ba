using Shadow.Grains.Abstractions.Errors;

namespace Shadow.Grains.Tasks;

/// <summary>
/// Which repository URLs a task may clone. A remote on the host's own disk (a path or <c>file://</c>) is allowed only
/// when <c>Shadow:Git:AllowLocalRemotes</c> is on, and never inside <c>Shadow:DataDir</c>: that folder holds every
/// user's workspaces and the store, and cloning it would read another user's work.
/// </summary>
public static class RemotePolicy
{
    /// <summary>Throws <see cref="InvalidTaskRequestException"/> when <paramref name="repoUrl"/> may not be cloned.</summary>
    public static void Check(string repoUrl, string dataDir, bool allowLocalRemotes)
    {
        ArgumentNullException.ThrowIfNull(repoUrl);
        ArgumentNullException.ThrowIfNull(dataDir);
        if (LocalPath(repoUrl) is not { } local)
        {
            return;
        }

        if (!allowLocalRemotes)
        {
            throw new InvalidTaskRequestException("repoUrl",
                $"'repoUrl' names a repository on the server's own disk ({repoUrl}); this Shadow allows only network remotes (Shadow:Git:AllowLocalRemotes is off).");
        }

        var path = RealPath(local);
        var data = RealPath(Path.GetFullPath(dataDir));
        if (path == data || path.StartsWith(data.TrimEnd('/') + "/", StringComparison.Ordinal))
        {
            throw new InvalidTaskRequestException("repoUrl", $"'repoUrl' ({repoUrl}) points into Shadow's data folder, which no task may clone.");
        }
    }

    /// <summary>The path a local remote names, or null for a network remote.</summary>
    internal static string? LocalPath(string repoUrl)
    {
        var url = repoUrl.Trim();
        if (url.StartsWith('/'))
        {
            return Path.GetFullPath(url);
        }

        return Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.IsFile ? Path.GetFullPath(uri.LocalPath) : null;
    }

    /// <summary>The path with every symlink of its existing prefix resolved (the rest kept as written).</summary>
    internal static string RealPath(string fullPath)
    {
        var existing = fullPath;
        var rest = new Stack<string>();
        while (!Directory.Exists(existing) && !File.Exists(existing) && Path.GetDirectoryName(existing) is { } parent)
        {
            rest.Push(Path.GetFileName(existing));
            existing = parent;
        }

        var resolved = Resolve(existing);
        while (rest.Count > 0)
        {
            resolved = Path.Combine(resolved, rest.Pop());
        }

        return resolved;
    }

    private static string Resolve(string existing)
    {
        // Resolve component by component, so a link anywhere in the path is followed.
        var root = Path.GetPathRoot(existing) ?? "/";
        var current = root;
        foreach (var part in existing[root.Length..].Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var next = Path.Combine(current, part);
            var info = new DirectoryInfo(next);
            if (info.LinkTarget is not null && info.ResolveLinkTarget(returnFinalTarget: true) is { } target)
            {
                next = Path.GetFullPath(target.FullName);
            }

            current = next;
        }

        return current;
    }
}
