namespace Shadow.Grains.Abstractions.Errors;

/// <summary>The call does not fit the task's state, e.g. a workspace call on an archived task (HTTP 409).</summary>
[GenerateSerializer, Alias("shadow.task-conflict")]
public sealed class TaskConflictException : Exception
{
    /// <summary>For a task id and a reason that says what to do.</summary>
    public TaskConflictException(string taskId, string message)
        : base(message) => TaskId = taskId;

    /// <summary>The task concerned.</summary>
    [Id(0)]
    public string TaskId { get; }
}
