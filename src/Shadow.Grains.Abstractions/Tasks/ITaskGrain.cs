namespace Shadow.Grains.Abstractions.Tasks;

/// <summary>One task (keyed by its id): status, init steps, chat history; it owns the task's workspace.</summary>
[Alias("shadow.task")]
public interface ITaskGrain : IGrainWithStringKey
{
    /// <summary>Creates the task and starts its init steps in the background; answers at once with status <c>Initializing</c>.
    /// Calling it again with the same owner and repository answers the existing task; anything else throws <see cref="Errors.TaskConflictException"/>.</summary>
    Task<TaskSnapshot> CreateAsync(CreateTaskCommand command, CancellationToken cancellationToken = default);

    /// <summary>The task as it stands; <see cref="Errors.TaskNotFoundException"/> when it was never created.</summary>
    Task<TaskSnapshot> GetAsync(CancellationToken cancellationToken = default);

    /// <summary>Runs init again from the step that failed; <see cref="Errors.TaskConflictException"/> unless init failed.</summary>
    Task<TaskSnapshot> RetryInitAsync(CancellationToken cancellationToken = default);

    /// <summary>Destroys the workspace and keeps the branch and the history; idempotent.</summary>
    Task<TaskSnapshot> ArchiveAsync(CancellationToken cancellationToken = default);

    /// <summary>The whole chat history, oldest first.</summary>
    Task<IReadOnlyList<ChatMessage>> GetMessagesAsync(CancellationToken cancellationToken = default);

    /// <summary>Adds a user message (a follow-up); <see cref="Errors.TaskConflictException"/> on an archived task.</summary>
    Task<ChatMessage> PostMessageAsync(string content, CancellationToken cancellationToken = default);
}
