using Shadow.Grains.Abstractions.Tasks;

namespace Shadow.Grains.Tasks;

/// <summary>How a turn ended, recorded before its commit so a crash during the commit finishes it the same way.</summary>
/// <param name="Status">The task's status after the turn: idle, stopped or failed.</param>
/// <param name="Reason">What the user is told (a notice in the history when the agent did not end it itself).</param>
/// <param name="Notice">Whether <paramref name="Reason"/> goes into the history as a system message.</param>
[GenerateSerializer, Immutable, Alias("shadow.turn-ending")]
public sealed record TurnEnding(ShadowTaskStatus Status, string Reason, bool Notice);
