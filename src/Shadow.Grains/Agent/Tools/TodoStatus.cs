namespace Shadow.Grains.Agent.Tools;

/// <summary>Where a todo of the agent's plan stands (<c>pending</c>, <c>in_progress</c>, <c>completed</c> as the model writes it).</summary>
[GenerateSerializer]
public enum TodoStatus
{
    /// <summary>Not started.</summary>
    Pending,

    /// <summary>Being worked on.</summary>
    InProgress,

    /// <summary>Done.</summary>
    Completed,
}
