using System.Diagnostics;
using System.Text;
using Shadow.Sidecar.Git;
using Shadow.Testing;
using Shouldly;

namespace Shadow.Sidecar.Tests.Git;

/// <summary>
/// The managed diff writer, checked by the real git: every patch must apply with <c>git apply</c> to the old content and
/// give exactly the new content.
/// </summary>
public sealed class UnifiedDiffTests
{
    public static TheoryData<string, string?, string?> Cases()
    {
        var lines = string.Concat(Enumerable.Range(1, 40).Select(i => $"line {i}\n"));
        return new TheoryData<string, string?, string?>
        {
            { "one line changed", lines, lines.Replace("line 20\n", "line twenty\n", StringComparison.Ordinal) },
            { "lines added at both ends", lines, "first\n" + lines + "last\n" },
            { "lines removed at both ends", lines, lines["line 1\n".Length..^"line 40\n".Length] },
            { "two changes far apart", lines, lines.Replace("line 3\n", "three\n", StringComparison.Ordinal).Replace("line 37\n", "", StringComparison.Ordinal) },
            { "two changes close together", lines, lines.Replace("line 10\n", "ten\n", StringComparison.Ordinal).Replace("line 15\n", "fifteen\n", StringComparison.Ordinal) },
            { "newline removed at the end", "a\nb\n", "a\nb" },
            { "newline added at the end", "a\nb", "a\nb\nc\n" },
            { "new file", null, "hello\nworld\n" },
            { "deleted file", "bye\n", null },
            { "emptied file", "x\ny\n", "" },
            { "everything different", lines, string.Concat(Enumerable.Range(1, 30).Select(i => $"other {i}\n")) },
            { "scattered edits", Scattered(0), Scattered(7) },
        };
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Build_AnyChange_AppliesWithGitToExactlyTheNewContent(string name, string? before, string? after)
    {
        using var dir = new TempDirectory("shadow-diff");
        var path = "f.txt";
        if (before is not null)
        {
            File.WriteAllText(dir.Combine(path), before);
        }

        // Act
        var diff = UnifiedDiff.Build(path, path, before is null ? null : Encoding.UTF8.GetBytes(before), after is null ? null : Encoding.UTF8.GetBytes(after));

        // Assert
        File.WriteAllText(dir.Combine("change.patch"), diff.Text);
        Git(dir.Path, "apply --whitespace=nowarn change.patch").ShouldBe(0, $"{name}:\n{diff.Text}");
        if (after is null)
        {
            File.Exists(dir.Combine(path)).ShouldBeFalse(name);
        }
        else
        {
            File.ReadAllText(dir.Combine(path)).ShouldBe(after, name);
        }

        var plus = diff.Text.Split('\n').Count(l => l.StartsWith('+') && !l.StartsWith("+++", StringComparison.Ordinal));
        var minus = diff.Text.Split('\n').Count(l => l.StartsWith('-') && !l.StartsWith("---", StringComparison.Ordinal));
        (diff.Added, diff.Deleted).ShouldBe((plus, minus), name);
    }

    [Fact]
    public void Build_OneChangedLine_IsOneHunkWithThreeLinesOfContext()
    {
        var before = "1\n2\n3\n4\n5\n6\n7\n8\n9\n";

        // Act
        var diff = UnifiedDiff.Build("a.txt", "a.txt", Encoding.UTF8.GetBytes(before), Encoding.UTF8.GetBytes(before.Replace("5\n", "five\n", StringComparison.Ordinal)));

        // Assert
        diff.Text.ShouldBe("diff --git a/a.txt b/a.txt\n--- a/a.txt\n+++ b/a.txt\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n");
    }

    [Fact]
    public void Build_BinaryContent_SaysSoWithoutLines()
    {
        // Act
        var diff = UnifiedDiff.Build("b.bin", "b.bin", [1, 0, 2], [1, 0, 3]);

        // Assert
        diff.Text.ShouldEndWith("Binary files a/b.bin and b/b.bin differ\n");
        (diff.Added, diff.Deleted).ShouldBe((0, 0));
    }

    private static string Scattered(int seed)
    {
        var random = new Random(42 + seed);
        return string.Concat(Enumerable.Range(1, 300).Select(i => random.Next(10) == 0 ? $"changed {i} {seed}\n" : $"line {i}\n"));
    }

    private static int Git(string cwd, string args)
    {
        var psi = new ProcessStartInfo("git", args) { WorkingDirectory = cwd, RedirectStandardError = true, RedirectStandardOutput = true };
        using var git = Process.Start(psi)!;
        git.WaitForExit();
        return git.ExitCode;
    }
}
