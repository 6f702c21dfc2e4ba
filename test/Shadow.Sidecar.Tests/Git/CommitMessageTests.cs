using Shadow.Sidecar.Git;
using Shouldly;

namespace Shadow.Sidecar.Tests.Git;

/// <summary>The sidecar tidies commit messages itself (libgit2's prettifier answers "" under Native AOT).</summary>
public sealed class CommitMessageTests
{
    [Theory]
    [InlineData("subject", "subject\n")]
    [InlineData("subject  \n\n\nbody  \n\n", "subject\n\nbody\n")]
    [InlineData("\n\nsubject\r\n\r\nbody", "subject\n\nbody\n")]
    [InlineData("a\n\n\n\nb\nc", "a\n\nb\nc\n")]
    public void Tidy_TrimsLinesFoldsBlankRunsAndEndsWithOneNewline(string message, string expected) =>
        GitService.Tidy(message).ShouldBe(expected);
}
