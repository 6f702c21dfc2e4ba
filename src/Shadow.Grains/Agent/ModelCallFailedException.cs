namespace Shadow.Grains.Agent;

/// <summary>A model call that failed for good (every retry spent, or an error not worth retrying); the message says why.</summary>
public sealed class ModelCallFailedException(string message, Exception? inner = null) : Exception(message, inner);
