namespace Shadow.Grains.Abstractions.Errors;

/// <summary>The workspace's sidecar refused the call (a bad path, a missing file, no unique match, too large): its status and detail, passed on.</summary>
[GenerateSerializer, Alias("shadow.workspace-problem")]
public sealed class WorkspaceProblemException : Exception
{
    /// <summary>From the sidecar's problem details.</summary>
    public WorkspaceProblemException(int status, string title, string detail)
        : base(detail)
    {
        Status = status;
        Title = title;
        Detail = detail;
    }

    /// <summary>The HTTP status the sidecar answered (400, 404, 409, 413, 422, …).</summary>
    [Id(0)]
    public int Status { get; }

    /// <summary>The problem's title.</summary>
    [Id(1)]
    public string Title { get; }

    /// <summary>What was wrong, in the sidecar's words.</summary>
    [Id(2)]
    public string Detail { get; }
}
