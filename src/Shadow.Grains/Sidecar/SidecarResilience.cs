using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Simmy;
using Polly.Simmy.Fault;
using Polly.Simmy.Latency;
using Polly.Simmy.Outcomes;
using Polly.Telemetry;
using Polly.Timeout;
using Shadow.Sidecar.Contracts.Common;

namespace Shadow.Grains.Sidecar;

/// <summary>
/// The Polly v8 pipeline of one sidecar. One instance per sidecar (see <see cref="SidecarClientFactory"/>), so each
/// sidecar has exactly one circuit breaker, shared by its idempotent and non-idempotent calls and its stream opens.
/// </summary>
/// <remarks>
/// Strategies, outermost first:
/// <list type="number">
/// <item>the caller's <see cref="CancellationToken"/> (the overall bound of the call, retries included);</item>
/// <item>retry with jittered exponential backoff (or the sidecar's <c>Retry-After</c>), only for calls flagged idempotent
/// and only on transient failures: connection errors, attempt timeouts, 408, 429 and 5xx (never other 4xx);</item>
/// <item>the circuit breaker, outside the attempt timeout so it counts timeouts, and inside the retry so every attempt
/// counts and an open circuit fails the remaining retries fast with <see cref="BrokenCircuitException"/>;</item>
/// <item>the attempt timeout (per-call override through <see cref="AttemptTimeoutKey"/>);</item>
/// <item>chaos ("mock mode"): latency, then a transient fault, then an injected 503, innermost so that every strategy
/// above sees injected failures exactly like real ones, and injected latency counts against the attempt timeout.</item>
/// </list>
/// </remarks>
public sealed partial class SidecarResilience
{
    /// <summary>Marks a call as safe to repeat; only such calls are retried.</summary>
    internal static readonly ResiliencePropertyKey<bool> IdempotentKey = new("Shadow.Sidecar.Idempotent");

    /// <summary>Overrides <see cref="SidecarClientOptions.AttemptTimeout"/> for one call.</summary>
    internal static readonly ResiliencePropertyKey<TimeSpan> AttemptTimeoutKey = new("Shadow.Sidecar.AttemptTimeout");

    /// <summary>Message of the fault injected by <see cref="SidecarChaosOptions.FaultRate"/>.</summary>
    public const string ChaosFaultMessage = "Chaos (" + SidecarChaosOptions.SectionName + ":FaultRate): injected transient fault.";

    /// <summary>Detail of the 503 injected by <see cref="SidecarChaosOptions.OutcomeRate"/>.</summary>
    public const string ChaosOutcomeDetail = "Chaos (" + SidecarChaosOptions.SectionName + ":OutcomeRate): injected 503.";

    private readonly CircuitBreakerStateProvider _breakerState;

    private SidecarResilience(ResiliencePipeline<HttpResponseMessage> pipeline, CircuitBreakerStateProvider breakerState,
        SidecarClientOptions options, TimeProvider timeProvider)
    {
        Pipeline = pipeline;
        _breakerState = breakerState;
        Options = options;
        TimeProvider = timeProvider;
    }

    /// <summary>Retry, circuit breaker, attempt timeout and chaos around one HTTP exchange.</summary>
    public ResiliencePipeline<HttpResponseMessage> Pipeline { get; }

    /// <summary>State of this sidecar's circuit breaker.</summary>
    public CircuitState CircuitState => _breakerState.CircuitState;

    /// <summary>The settings the pipeline was built from.</summary>
    public SidecarClientOptions Options { get; }

    /// <summary>The clock of backoff, timeouts, breaker and injected latency.</summary>
    public TimeProvider TimeProvider { get; }

    /// <summary>Builds the pipeline of one sidecar.</summary>
    /// <param name="options">Timeouts, retries, breaker (validated: an invalid value throws <see cref="ArgumentException"/>).</param>
    /// <param name="timeProvider">Clock for every delay and timeout (a fake one in tests).</param>
    /// <param name="chaos">Mock mode; its values are read on every attempt, so changing the instance takes effect at once.</param>
    /// <param name="logger">Where retries and breaker transitions are logged.</param>
    public static SidecarResilience Create(SidecarClientOptions options, TimeProvider timeProvider, SidecarChaosOptions? chaos = null, ILogger? logger = null) =>
        Build(options, timeProvider, chaos is null ? null : () => chaos, logger, sidecar: null, telemetry: null, randomizer: null);

    /// <summary>Full form: <paramref name="chaos"/> is read per attempt; <paramref name="telemetry"/> and <paramref name="randomizer"/> are for tests.</summary>
    internal static SidecarResilience Build(SidecarClientOptions options, TimeProvider timeProvider, Func<SidecarChaosOptions>? chaos,
        ILogger? logger, string? sidecar, TelemetryListener? telemetry, Func<double>? randomizer)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        var errors = options.Validate().Concat(chaos?.Invoke().Validate() ?? []).ToList();
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", errors), nameof(options));
        }

        logger ??= NullLogger.Instance;
        sidecar ??= "(sidecar)";
        var breakerState = new CircuitBreakerStateProvider();
        var builder = new ResiliencePipelineBuilder<HttpResponseMessage>
        {
            Name = "Shadow.Sidecar",
            InstanceName = sidecar,
            TimeProvider = timeProvider,
            TelemetryListener = telemetry,
        };

        if (options.MaxRetryAttempts > 0)
        {
            var maxRetryAfter = options.MaxRetryAfter;
            builder.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                ShouldHandle = args => ValueTask.FromResult(
                    args.Context.Properties.GetValue(IdempotentKey, false)
                    && IsTransient(args.Outcome)
                    && !(TryGetRetryAfter(args.Outcome.Result, timeProvider, out var wait) && wait > maxRetryAfter)),
                MaxRetryAttempts = options.MaxRetryAttempts,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryBaseDelay,
                MaxDelay = options.RetryMaxDelay,
                DelayGenerator = args => ValueTask.FromResult(TryGetRetryAfter(args.Outcome.Result, timeProvider, out var wait) ? wait : (TimeSpan?)null),
                OnRetry = args =>
                {
                    LogRetry(logger, sidecar, args.AttemptNumber + 1, args.RetryDelay, Describe(args.Outcome));

                    // The failed answer is discarded: free its connection now (disposing twice is harmless).
                    args.Outcome.Result?.Dispose();
                    return default;
                },
            });
        }

        builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions<HttpResponseMessage>
        {
            ShouldHandle = args => ValueTask.FromResult(IsTransient(args.Outcome)),
            FailureRatio = options.BreakerFailureRatio,
            MinimumThroughput = options.BreakerMinimumThroughput,
            SamplingDuration = options.BreakerSamplingDuration,
            BreakDuration = options.BreakerBreakDuration,
            StateProvider = breakerState,
            OnOpened = args =>
            {
                LogCircuitOpened(logger, sidecar, args.BreakDuration, Describe(args.Outcome));
                return default;
            },
            OnHalfOpened = _ =>
            {
                LogCircuitHalfOpened(logger, sidecar);
                return default;
            },
            OnClosed = _ =>
            {
                LogCircuitClosed(logger, sidecar);
                return default;
            },
        });

        var attemptTimeout = options.AttemptTimeout;
        builder.AddTimeout(new TimeoutStrategyOptions
        {
            TimeoutGenerator = args => ValueTask.FromResult(args.Context.Properties.GetValue(AttemptTimeoutKey, attemptTimeout)),
        });

        if (chaos is not null)
        {
            AddChaos(builder, chaos, randomizer);
        }

        return new SidecarResilience(builder.Build(), breakerState, options, timeProvider);
    }

    private static void AddChaos(ResiliencePipelineBuilder<HttpResponseMessage> builder, Func<SidecarChaosOptions> chaos, Func<double>? randomizer)
    {
        var latency = new ChaosLatencyStrategyOptions
        {
            EnabledGenerator = _ => ValueTask.FromResult(chaos().Enabled),
            InjectionRateGenerator = _ => ValueTask.FromResult(Rate(chaos().LatencyRate)),
            LatencyGenerator = _ => ValueTask.FromResult(chaos().Latency),
        };
        var fault = new ChaosFaultStrategyOptions
        {
            EnabledGenerator = _ => ValueTask.FromResult(chaos().Enabled),
            InjectionRateGenerator = _ => ValueTask.FromResult(Rate(chaos().FaultRate)),
            FaultGenerator = _ => ValueTask.FromResult<Exception?>(new HttpRequestException(HttpRequestError.ConnectionError, ChaosFaultMessage)),
        };
        var outcome = new ChaosOutcomeStrategyOptions<HttpResponseMessage>
        {
            EnabledGenerator = _ => ValueTask.FromResult(chaos().Enabled),
            InjectionRateGenerator = _ => ValueTask.FromResult(Rate(chaos().OutcomeRate)),
            OutcomeGenerator = _ => ValueTask.FromResult<Outcome<HttpResponseMessage>?>(Outcome.FromResult(CreateChaosResponse())),
        };
        if (randomizer is not null)
        {
            latency.Randomizer = randomizer;
            fault.Randomizer = randomizer;
            outcome.Randomizer = randomizer;
        }

        builder.AddChaosLatency(latency).AddChaosFault(fault).AddChaosOutcome(outcome);
    }

    // A bad live value must not break every call: clamp into [0, 1].
    private static double Rate(double value) => double.IsNaN(value) ? 0 : Math.Clamp(value, 0, 1);

    private static HttpResponseMessage CreateChaosResponse() => new(HttpStatusCode.ServiceUnavailable)
    {
        Content = JsonContent.Create(
            new ProblemResponse(null, "Service Unavailable", (int)HttpStatusCode.ServiceUnavailable, ChaosOutcomeDetail, null),
            CommonJsonContext.Default.ProblemResponse),
    };

    /// <summary>Whether an outcome is worth another attempt (and counts as a failure for the breaker).</summary>
    internal static bool IsTransient(Outcome<HttpResponseMessage> outcome) => outcome.Exception switch
    {
        null => outcome.Result is { } response && IsTransient(response.StatusCode),
        TimeoutRejectedException => true,
        HttpRequestException e => IsTransient(e),
        IOException => true,
        _ => false,
    };

    /// <summary>408, 429 and the 5xx answers other than 501/505 (which will not change on a second attempt).</summary>
    internal static bool IsTransient(HttpStatusCode status) =>
        status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests
        || ((int)status >= 500 && status is not HttpStatusCode.NotImplemented and not HttpStatusCode.HttpVersionNotSupported);

    /// <summary>Connection refused/reset, a response cut short, name resolution; not a protocol or configuration error.</summary>
    internal static bool IsTransient(HttpRequestException exception) =>
        exception.StatusCode is { } status
            ? IsTransient(status)
            : exception.HttpRequestError is not (HttpRequestError.InvalidResponse or HttpRequestError.ConfigurationLimitExceeded
                or HttpRequestError.UserAuthenticationError or HttpRequestError.VersionNegotiationError
                or HttpRequestError.SecureConnectionError or HttpRequestError.ExtendedConnectNotSupported);

    /// <summary>The <c>Retry-After</c> of a 429/503 answer, as a delay from now.</summary>
    internal static bool TryGetRetryAfter(HttpResponseMessage? response, TimeProvider timeProvider, out TimeSpan delay)
    {
        delay = default;
        if (response is not { StatusCode: HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable } || response.Headers.RetryAfter is not { } retryAfter)
        {
            return false;
        }

        if (retryAfter.Delta is { } delta)
        {
            delay = delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
            return true;
        }

        if (retryAfter.Date is { } date)
        {
            var wait = date - timeProvider.GetUtcNow();
            delay = wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
            return true;
        }

        return false;
    }

    private static string Describe(Outcome<HttpResponseMessage> outcome) =>
        outcome.Exception is { } e ? $"{e.GetType().Name}: {e.Message}" : $"HTTP {(int?)outcome.Result?.StatusCode}";

    [LoggerMessage(Level = LogLevel.Debug, Message = "Sidecar {Sidecar}: retry {Attempt} in {Delay} after {Reason}")]
    private static partial void LogRetry(ILogger logger, string sidecar, int attempt, TimeSpan delay, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sidecar {Sidecar}: circuit opened for {BreakDuration} after {Reason}")]
    private static partial void LogCircuitOpened(ILogger logger, string sidecar, TimeSpan breakDuration, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sidecar {Sidecar}: circuit half-open, probing")]
    private static partial void LogCircuitHalfOpened(ILogger logger, string sidecar);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sidecar {Sidecar}: circuit closed")]
    private static partial void LogCircuitClosed(ILogger logger, string sidecar);
}
