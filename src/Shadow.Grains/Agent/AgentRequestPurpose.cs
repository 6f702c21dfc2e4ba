using Microsoft.Extensions.AI;

namespace Shadow.Grains.Agent;

/// <summary>
/// Marks a model request that is not a step of the conversation: its options are a <see cref="CommitMessageChatOptions"/>.
/// (A type rather than an additional property, which some providers would send on and reject.)
/// </summary>
public static class AgentRequestPurpose
{
    /// <summary>Whether <paramref name="options"/> ask for a commit message.</summary>
    public static bool IsCommitMessage(ChatOptions? options) => options is CommitMessageChatOptions;
}

/// <summary>The options of a "write the commit message for this diff" request.</summary>
public sealed class CommitMessageChatOptions : ChatOptions;
