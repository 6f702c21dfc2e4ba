namespace Shadow.Grains.Abstractions.Errors;

/// <summary>The workspace could not be reached or brought back right now (HTTP 503); the call can be retried.</summary>
[GenerateSerializer, Alias("shadow.workspace-unavailable")]
public sealed class WorkspaceUnavailableException : Exception
{
    /// <summary>For a task id and what went wrong.</summary>
    public WorkspaceUnavailableException(string taskId, string message)
        : base(message) => TaskId = taskId;

    /// <summary>The task concerned.</summary>
    [Id(0)]
    public string TaskId { get; }
}
