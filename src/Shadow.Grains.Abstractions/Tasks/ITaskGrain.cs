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

    /// <summary>Adds a user message (a follow-up) and runs a turn for it; while a turn runs it is queued and runs after, in order.
    /// <see cref="Errors.TaskConflictException"/> on an archived task or one whose init has not finished.</summary>
    Task<ChatMessage> PostMessageAsync(string content, CancellationToken cancellationToken = default);

    /// <summary>Stops the running turn at its next safe point (what changed is still committed) and drops queued follow-ups;
    /// answers the task (no-op when no turn runs).</summary>
    Task<TaskSnapshot> StopAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Resets the shadow branch to the checkpoint of <paramref name="messageId"/> (refused with <see cref="Errors.TaskConflictException"/>
    /// when the remote branch moved unexpectedly, or while a turn runs) and removes every later message.
    /// </summary>
    [ResponseTimeout("00:05:00")]
    Task<TaskSnapshot> RollbackAsync(string messageId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Replaces the last user message's content, rolls the workspace back to where it was before that message, removes the answer
    /// and runs the turn again. Only the last user message can be edited, and not while a turn runs.
    /// </summary>
    [ResponseTimeout("00:05:00")]
    Task<ChatMessage> EditMessageAsync(string messageId, string content, CancellationToken cancellationToken = default);
}
