using LibGit2Sharp;

namespace Shadow.Testing;

/// <summary>Real git repositories on disk for tests: a bare remote seeded with files on a branch.</summary>
public static class GitRepos
{
    public static readonly Signature Author = new("Shadow Test", "test@shadow.dev", new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    /// <summary>Creates a bare repository at <paramref name="barePath"/> whose <paramref name="branch"/> holds <paramref name="files"/>.</summary>
    public static string CreateBareRemote(string barePath, IReadOnlyDictionary<string, string> files, string branch = "main")
    {
        var seed = barePath + ".seed";
        Repository.Init(seed);
        using (var repo = new Repository(seed))
        {
            // Point HEAD at the wanted branch before the first commit, so that commit creates it.
            repo.Refs.UpdateTarget("HEAD", $"refs/heads/{branch}");
            foreach (var (path, content) in files)
            {
                var full = Path.Combine(seed, path);
                Directory.CreateDirectory(Path.GetDirectoryName(full)!);
                File.WriteAllText(full, content);
            }

            Commands.Stage(repo, "*");
            repo.Commit("initial", Author, Author);
        }

        Repository.Init(barePath, isBare: true);
        using (var repo = new Repository(seed))
        {
            repo.Network.Remotes.Add("origin", barePath);
            repo.Network.Push(repo.Network.Remotes["origin"], $"refs/heads/{branch}:refs/heads/{branch}");
        }

        using (var bare = new Repository(barePath))
        {
            bare.Refs.UpdateTarget("HEAD", $"refs/heads/{branch}");
        }

        Directory.Delete(seed, recursive: true);
        return barePath;
    }

    /// <summary><paramref name="count"/> small source files in a few folders.</summary>
    public static Dictionary<string, string> SmallFiles(int count) =>
        Enumerable.Range(0, count).ToDictionary(
            i => $"src/dir{i % 10}/file{i}.txt",
            i => $"line one of file {i}\nline two\nthe number is {i}\n");
}
