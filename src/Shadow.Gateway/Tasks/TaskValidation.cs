using System.Text;
using System.Text.RegularExpressions;
using Shadow.Gateway.Contracts;

namespace Shadow.Gateway.Tasks;

/// <summary>Field checks for task bodies; each failure is keyed by the JSON field it concerns.</summary>
internal static partial class TaskValidation
{
    public const int MaxRepoUrlLength = 2048;
    public const int MaxPromptBytes = 100 * 1024;
    public const int MaxTitleLength = 200;
    public const int MaxModelLength = 200;
    public const int MaxBranchLength = 255;

    private static readonly string[] UrlSchemes = ["http", "https", "ssh", "git", "file"];

    public static Dictionary<string, string[]> Validate(CreateTaskRequest request)
    {
        Dictionary<string, string[]> errors = [];
        if (string.IsNullOrWhiteSpace(request.RepoUrl))
        {
            errors["repoUrl"] = ["repoUrl is required: the git remote to work on."];
        }
        else if (request.RepoUrl.Length > MaxRepoUrlLength)
        {
            errors["repoUrl"] = [$"repoUrl must be at most {MaxRepoUrlLength} characters (is {request.RepoUrl.Length})."];
        }
        else if (!IsRepoLocation(request.RepoUrl))
        {
            errors["repoUrl"] = ["repoUrl must be an http(s), ssh, git or file URL, user@host:path, or an absolute path."];
        }

        if (CheckText(request.Prompt, "prompt") is { } promptError)
        {
            errors["prompt"] = [promptError];
        }

        if (request.BaseBranch is not null && DescribeBadRefName(request.BaseBranch) is { } branchError)
        {
            errors["baseBranch"] = [$"baseBranch is not a valid git branch name: {branchError}."];
        }

        if (request.Title is { Length: > MaxTitleLength })
        {
            errors["title"] = [$"title must be at most {MaxTitleLength} characters (is {request.Title.Length})."];
        }

        if (request.Model is not null && (string.IsNullOrWhiteSpace(request.Model) || request.Model.Length > MaxModelLength))
        {
            errors["model"] = [$"model must be a non-empty name of at most {MaxModelLength} characters, or omitted."];
        }

        return errors;
    }

    public static Dictionary<string, string[]> Validate(PostMessageRequest request) =>
        CheckText(request.Content, "content") is { } error ? new() { ["content"] = [error] } : [];

    public static Dictionary<string, string[]> Validate(EditMessageRequest request) =>
        CheckText(request.Content, "content") is { } error ? new() { ["content"] = [error] } : [];

    public static Dictionary<string, string[]> Validate(RollbackRequest request) =>
        string.IsNullOrWhiteSpace(request.MessageId) || request.MessageId.Length > 100
            ? new() { ["messageId"] = ["messageId is required: the message whose checkpoint to go back to (see the task's checkpoints)."] }
            : [];

    private static string? CheckText(string? text, string field) =>
        string.IsNullOrWhiteSpace(text) ? $"{field} is required and must not be blank."
        : Encoding.UTF8.GetByteCount(text) > MaxPromptBytes ? $"{field} must be at most {MaxPromptBytes / 1024} KB of UTF-8 text."
        : null;

    private static bool IsRepoLocation(string value)
    {
        if (value.StartsWith('/'))
        {
            return !value.Any(char.IsControl);
        }

        if (Uri.TryCreate(value, UriKind.Absolute, out var uri))
        {
            return UrlSchemes.Contains(uri.Scheme, StringComparer.OrdinalIgnoreCase)
                && (uri.IsFile || !string.IsNullOrEmpty(uri.Host));
        }

        return ScpLike().IsMatch(value);
    }

    // The rules of git check-ref-format for a branch name.
    private static string? DescribeBadRefName(string name)
    {
        if (name.Length == 0)
        {
            return "it is empty";
        }

        if (name.Length > MaxBranchLength)
        {
            return $"it is longer than {MaxBranchLength} characters";
        }

        if (name == "@" || name.Contains("@{", StringComparison.Ordinal))
        {
            return "it must not be '@' or contain '@{'";
        }

        if (name.Contains("..", StringComparison.Ordinal) || name.Contains("//", StringComparison.Ordinal))
        {
            return "it must not contain '..' or '//'";
        }

        if (name.StartsWith('/') || name.EndsWith('/') || name.EndsWith('.') || name.StartsWith('-'))
        {
            return "it must not start with '/' or '-', nor end with '/' or '.'";
        }

        if (name.Any(c => char.IsControl(c) || c is ' ' or '~' or '^' or ':' or '?' or '*' or '[' or '\\'))
        {
            return "it must not contain spaces, control characters or any of ~ ^ : ? * [ \\";
        }

        if (name.Split('/').Any(part => part.StartsWith('.') || part.EndsWith(".lock", StringComparison.Ordinal)))
        {
            return "no part may start with '.' or end with '.lock'";
        }

        return null;
    }

    [GeneratedRegex(@"^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[^\s]+$", RegexOptions.CultureInvariant)]
    private static partial Regex ScpLike();
}
