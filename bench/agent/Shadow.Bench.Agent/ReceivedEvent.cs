using Shadow.Grains.Abstractions.Tasks;

namespace Shadow.Bench.Agent;

/// <summary>A task event and when the bench received it (<see cref="System.Diagnostics.Stopwatch.GetTimestamp"/>).</summary>
internal sealed record ReceivedEvent(TaskEvent Event, long ReceivedAt);
