namespace Shadow.Grains.Abstractions.Tasks;

/// <summary>Who wrote a chat message.</summary>
[GenerateSerializer]
public enum ChatRole
{
    /// <summary>The user (the prompt and follow-ups).</summary>
    User,
    /// <summary>The agent.</summary>
    Assistant,
    /// <summary>A tool result.</summary>
    Tool,
    /// <summary>Shadow itself (notices such as "turn stopped").</summary>
    System,
}
