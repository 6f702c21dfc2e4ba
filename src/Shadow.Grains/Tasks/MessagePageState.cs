using Shadow.Grains.Abstractions.Tasks;

namespace Shadow.Grains.Tasks;

/// <summary>One page of a task's chat history (<see cref="MessageLog.PageSize"/> messages): appending rewrites only the last page.</summary>
[GenerateSerializer, Alias("shadow.message-page")]
public sealed class MessagePageState
{
    [Id(0)] public List<ChatMessage> Messages { get; set; } = [];
}
