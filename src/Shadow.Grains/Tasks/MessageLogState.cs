using Shadow.Grains.Abstractions.Tasks;

namespace Shadow.Grains.Tasks;

/// <summary>The chat history, kept apart from <see cref="TaskState"/> so that status writes never rewrite it.</summary>
[GenerateSerializer, Alias("shadow.message-log")]
public sealed class MessageLogState
{
    [Id(0)] public List<ChatMessage> Messages { get; set; } = [];
}
