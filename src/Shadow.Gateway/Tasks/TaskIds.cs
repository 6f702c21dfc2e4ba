using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace Shadow.Gateway.Tasks;

/// <summary>Task ids: 12 random characters of lower-case base32 (60 bits), URL- and branch-name-safe.</summary>
internal static partial class TaskIds
{
    public const int Length = 12;

    /// <summary>The route constraint every <c>{id}</c> carries: a malformed id matches no route and answers 404.</summary>
    public const string RouteConstraint = "regex(^[a-z2-7]{{12}}$)";

    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz234567";

    public static string NewId() => RandomNumberGenerator.GetString(Alphabet, Length);

    public static bool IsValid(string? id) => id is not null && IdPattern().IsMatch(id);

    [GeneratedRegex("^[a-z2-7]{12}$", RegexOptions.CultureInvariant)]
    private static partial Regex IdPattern();
}
