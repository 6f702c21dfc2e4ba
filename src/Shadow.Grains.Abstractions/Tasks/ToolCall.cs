namespace Shadow.Grains.Abstractions.Tasks;

/// <summary>A tool call the agent made, as it asked for it.</summary>
/// <param name="Id">The call's id (the model's, or one Shadow gave it); the result message names it in <see cref="ChatMessage.ToolCallId"/>.</param>
/// <param name="Name">The tool (e.g. <c>read_file</c>).</param>
/// <param name="Arguments">The arguments as a JSON object string (as the model wrote them, possibly malformed).</param>
[GenerateSerializer, Immutable, Alias("shadow.tool-call")]
public sealed record ToolCall(string Id, string Name, string Arguments);
