namespace Shadow.Grains.Abstractions.Tasks;

/// <summary>One message of a task's chat history.</summary>
/// <param name="Id">Its id, unique within the task.</param>
/// <param name="Sequence">Its position in the history, from 1.</param>
/// <param name="Role">Who wrote it.</param>
/// <param name="Content">Its text.</param>
/// <param name="CreatedAt">When it was added.</param>
[GenerateSerializer, Immutable, Alias("shadow.chat-message")]
public sealed record ChatMessage(string Id, long Sequence, ChatRole Role, string Content, DateTimeOffset CreatedAt);
