using System.Text.Json.Nodes;

namespace Shadow.Kubernetes.Simulation;

/// <summary>One change in the simulated store: the watch event type (<c>ADDED</c>, <c>MODIFIED</c>, <c>DELETED</c>), the object after it, and the resource version it got.</summary>
public sealed record StoredEvent(long ResourceVersion, string Type, ResourceKey Key, JsonObject Object, long TimestampTicks);
