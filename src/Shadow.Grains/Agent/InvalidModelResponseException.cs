namespace Shadow.Grains.Agent;

/// <summary>The model answered, but not usably: nothing at all, or a stream that was cut off. Retried like a transport failure.</summary>
public sealed class InvalidModelResponseException(string message) : Exception(message);
