namespace Shadow.Grains.Abstractions.Errors;

/// <summary>No task has this id (HTTP 404).</summary>
[GenerateSerializer, Alias("shadow.task-not-found")]
public sealed class TaskNotFoundException : Exception
{
    /// <summary>For a task id.</summary>
    public TaskNotFoundException(string taskId)
        : base($"No task has the id '{taskId}'.") => TaskId = taskId;

    /// <summary>The id asked for.</summary>
    [Id(0)]
    public string TaskId { get; }
}
