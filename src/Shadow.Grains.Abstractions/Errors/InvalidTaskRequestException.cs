namespace Shadow.Grains.Abstractions.Errors;

/// <summary>The request cannot be served as given, e.g. a repository URL Shadow refuses (HTTP 400).</summary>
[GenerateSerializer, Alias("shadow.invalid-task-request")]
public sealed class InvalidTaskRequestException : Exception
{
    /// <summary>For the field at fault and what to change.</summary>
    public InvalidTaskRequestException(string field, string message)
        : base(message) => Field = field;

    /// <summary>The request field at fault (e.g. <c>repoUrl</c>).</summary>
    [Id(0)]
    public string Field { get; }
}
