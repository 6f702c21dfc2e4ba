using System.Collections.Concurrent;
using Polly;
using Polly.Retry;
using Polly.Telemetry;
using Shadow.Grains.Sidecar;

namespace Shadow.Grains.Tests;

/// <summary>
/// A <see cref="SidecarClientFactory"/> as production builds it, plus what the tests observe: <see cref="Wire"/> counts
/// requests that reach the HTTP stack, <see cref="Events"/> counts Polly's resilience events (attempts, retries,
/// injected faults, breaker transitions). <see cref="Chaos"/> is read live, so a test can switch faults on and off.
/// </summary>
public sealed class ClientHarness : IDisposable
{
    public ClientHarness(SidecarClientOptions? options = null, SidecarChaosOptions? chaos = null, TimeProvider? timeProvider = null, int seed = 4242)
    {
        Options = options ?? Fast();
        Chaos = chaos ?? new SidecarChaosOptions();
        Wire = new WireCounter { InnerHandler = SidecarClientFactory.CreateHandler(Options) };
        var random = new Random(seed);
        Factory = new SidecarClientFactory(Options, () => Chaos, timeProvider ?? TimeProvider.System, null, Wire, Events,
            () =>
            {
                lock (random)
                {
                    return random.NextDouble();
                }
            });
    }

    public SidecarClientOptions Options { get; }

    public SidecarChaosOptions Chaos { get; }

    public WireCounter Wire { get; }

    public PollyEvents Events { get; } = new();

    public SidecarClientFactory Factory { get; }

    /// <summary>Test defaults: short backoff so retry tests stay fast.</summary>
    public static SidecarClientOptions Fast() => new()
    {
        RetryBaseDelay = TimeSpan.FromMilliseconds(5),
        RetryMaxDelay = TimeSpan.FromMilliseconds(50),
    };

    public SidecarClient Client(TestSidecar sidecar) => Factory.Get(sidecar.Endpoint);

    public SidecarClient Client(SidecarEndpoint endpoint) => Factory.Get(endpoint);

    public void Dispose() => Factory.Dispose();
}

/// <summary>Counts (and records) every request that reaches the wire.</summary>
public sealed class WireCounter : DelegatingHandler
{
    private int _count;

    public int Count => Volatile.Read(ref _count);

    public ConcurrentQueue<(HttpMethod Method, string Path)> Requests { get; } = new();

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _count);
        Requests.Enqueue((request.Method, request.RequestUri!.AbsolutePath));
        return base.SendAsync(request, cancellationToken);
    }
}

/// <summary>Counts Polly telemetry events by name (<c>ExecutionAttempt</c>, <c>OnRetry</c>, <c>Chaos.OnFault</c>, …).</summary>
public sealed class PollyEvents : TelemetryListener
{
    private readonly ConcurrentDictionary<string, int> _counts = new(StringComparer.Ordinal);

    public ConcurrentQueue<TimeSpan> RetryDelays { get; } = new();

    public int this[string eventName] => _counts.GetValueOrDefault(eventName);

    /// <summary>Attempts of calls that went through the retry strategy (one per try, retried or not).</summary>
    public int Attempts => this["ExecutionAttempt"];

    public override void Write<TResult, TArgs>(in TelemetryEventArguments<TResult, TArgs> args)
    {
        _counts.AddOrUpdate(args.Event.EventName, 1, static (_, n) => n + 1);
        if (args.Arguments is OnRetryArguments<HttpResponseMessage> retry)
        {
            RetryDelays.Enqueue(retry.RetryDelay);
        }
    }
}
