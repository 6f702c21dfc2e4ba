using System.Net.Http;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace Shadow.Grains.Sidecar;

/// <summary>
/// The Polly v8 pipelines of one sidecar: both share one circuit breaker; only the idempotent one retries.
/// Built by <see cref="Create"/> from <see cref="SidecarClientOptions"/>.
/// </summary>
public sealed class SidecarResilience
{
    private SidecarResilience(ResiliencePipeline idempotent, ResiliencePipeline nonIdempotent)
    {
        Idempotent = idempotent;
        NonIdempotent = nonIdempotent;
    }

    /// <summary>Timeout per attempt, retries with jittered exponential backoff, circuit breaker, optional chaos.</summary>
    public ResiliencePipeline Idempotent { get; }

    /// <summary>Timeout, circuit breaker, optional chaos; never retried (a command must not run twice).</summary>
    public ResiliencePipeline NonIdempotent { get; }

    /// <summary>Set on a call's <see cref="ResilienceContext"/> to give that call its own attempt timeout (e.g. a long command).</summary>
    public static ResiliencePropertyKey<TimeSpan> AttemptTimeoutKey { get; } = new("shadow.sidecar.attempt-timeout");

    public static SidecarResilience Create(SidecarClientOptions options, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        var handled = new PredicateBuilder()
            .Handle<HttpRequestException>()
            .Handle<TimeoutRejectedException>()
            .Handle<SidecarProblemException>(e => SidecarClient.IsTransient(e.StatusCode));

        // One breaker state shared by both pipelines, so a dead sidecar trips it for every call.
        var breaker = new CircuitBreakerStrategyOptions
        {
            ShouldHandle = handled,
            FailureRatio = options.BreakerFailureRatio,
            MinimumThroughput = options.BreakerMinimumThroughput,
            SamplingDuration = options.BreakerSamplingDuration,
            BreakDuration = options.BreakerBreakDuration,
        };
        var breakerPipeline = new ResiliencePipelineBuilder { TimeProvider = timeProvider }.AddCircuitBreaker(breaker).Build();

        var idempotent = new ResiliencePipelineBuilder { TimeProvider = timeProvider }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = handled,
                MaxRetryAttempts = options.MaxRetryAttempts,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryBaseDelay,
            })
            .AddPipeline(breakerPipeline)
            .AddTimeout(AttemptTimeout(options))
            .Build();
        var nonIdempotent = new ResiliencePipelineBuilder { TimeProvider = timeProvider }
            .AddPipeline(breakerPipeline)
            .AddTimeout(AttemptTimeout(options))
            .Build();
        return new SidecarResilience(idempotent, nonIdempotent);
    }

    private static TimeoutStrategyOptions AttemptTimeout(SidecarClientOptions options) => new()
    {
        Timeout = options.AttemptTimeout,
        TimeoutGenerator = args => ValueTask.FromResult(
            args.Context.Properties.TryGetValue(AttemptTimeoutKey, out var perCall) ? perCall : options.AttemptTimeout),
    };
}
