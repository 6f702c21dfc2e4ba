namespace Shadow.Grains.Agent.Tools;

/// <summary>One item of the agent's todo list, as the model last wrote it with <c>todo_write</c>.</summary>
/// <param name="Id">The model's id for the item.</param>
/// <param name="Content">What to do.</param>
/// <param name="Status">Where it stands.</param>
[GenerateSerializer, Immutable, Alias("shadow.agent-todo")]
public sealed record TodoItem(string Id, string Content, TodoStatus Status);
