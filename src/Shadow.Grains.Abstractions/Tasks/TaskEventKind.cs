namespace Shadow.Grains.Abstractions.Tasks;

/// <summary>What a <see cref="TaskEvent"/> reports.</summary>
[GenerateSerializer]
public enum TaskEventKind
{
    /// <summary>The task's status changed (<see cref="TaskEvent.Status"/>).</summary>
    Status,
    /// <summary>A turn started for the user message <see cref="TaskEvent.MessageId"/>.</summary>
    TurnStarted,
    /// <summary>A piece of the assistant's answer as the model streams it (<see cref="TaskEvent.Text"/>).</summary>
    TextDelta,
    /// <summary>A message was added to the history (<see cref="TaskEvent.MessageId"/>, <see cref="TaskEvent.Role"/>, <see cref="TaskEvent.Text"/>).</summary>
    Message,
    /// <summary>A tool call starts (<see cref="TaskEvent.ToolCallId"/>, <see cref="TaskEvent.ToolName"/>, <see cref="TaskEvent.Arguments"/>).</summary>
    ToolCall,
    /// <summary>A tool call ended (<see cref="TaskEvent.Text"/> is its bounded result, <see cref="TaskEvent.IsError"/>).</summary>
    ToolResult,
    /// <summary>The turn's changes were committed and pushed (<see cref="TaskEvent.CommitSha"/>, <see cref="TaskEvent.Text"/> the message).</summary>
    Commit,
    /// <summary>The turn ended (<see cref="TaskEvent.Text"/> says how).</summary>
    TurnEnded,
    /// <summary>A model call failed and is tried again (<see cref="TaskEvent.Text"/> says why); discard the streamed text of the failed attempt.</summary>
    Retry,
    /// <summary>Something failed (<see cref="TaskEvent.Text"/>); the task stays usable.</summary>
    Error,
    /// <summary>Events before this one are no longer kept (<see cref="TaskEvent.Text"/> says how many); read the messages for the history.</summary>
    Gap,
    /// <summary>A model call's token usage (<see cref="TaskEvent.Usage"/>).</summary>
    Usage,
    /// <summary>The task was rolled back to a checkpoint (<see cref="TaskEvent.MessageId"/>, <see cref="TaskEvent.CommitSha"/>).</summary>
    Rollback,
}
