namespace Shadow.Grains.Agent.Tools;

/// <summary>The model's arguments for a tool are missing, mistyped or malformed; the message is written for the model.</summary>
internal sealed class ToolArgumentException(string message) : Exception(message);
