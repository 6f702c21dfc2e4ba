using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Polly.Telemetry;

namespace Shadow.Grains.Sidecar;

/// <summary>
/// Hands out <see cref="SidecarClient"/>s: one shared <see cref="System.Net.Http.HttpClient"/> (pooled connections) for
/// every sidecar, and one <see cref="SidecarResilience"/> (one circuit breaker) per sidecar base address, kept until
/// <see cref="Forget"/>. Registered as a singleton by <see cref="SidecarClientServiceCollectionExtensions.AddSidecarClient"/>.
/// </summary>
public sealed class SidecarClientFactory : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<SidecarResilience>> _pipelines = new(StringComparer.Ordinal);
    private readonly SidecarClientOptions _options;
    private readonly Func<SidecarChaosOptions> _chaos;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly TelemetryListener? _telemetry;
    private readonly Func<double>? _randomizer;

    /// <summary>The DI constructor: chaos settings are followed live (a configuration reload switches mock mode).</summary>
    public SidecarClientFactory(IOptions<SidecarClientOptions> options, IOptionsMonitor<SidecarChaosOptions> chaos, TimeProvider timeProvider,
        ILoggerFactory? loggerFactory = null)
        : this(options?.Value!, LiveChaos(chaos), timeProvider, loggerFactory, handler: null, telemetry: null, randomizer: null)
    {
    }

    /// <summary>Full form; <paramref name="handler"/>, <paramref name="telemetry"/> and <paramref name="randomizer"/> are for tests.</summary>
    internal SidecarClientFactory(SidecarClientOptions options, Func<SidecarChaosOptions>? chaos, TimeProvider timeProvider,
        ILoggerFactory? loggerFactory, HttpMessageHandler? handler, TelemetryListener? telemetry, Func<double>? randomizer)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        var errors = options.Validate().ToList();
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", errors), nameof(options));
        }

        _options = options;
        _chaos = chaos ?? (static () => Disabled);
        _timeProvider = timeProvider;
        _logger = loggerFactory?.CreateLogger("Shadow.Grains.Sidecar.SidecarClient") ?? NullLogger.Instance;
        _telemetry = telemetry;
        _randomizer = randomizer;
        HttpClient = new HttpClient(handler ?? CreateHandler(options), disposeHandler: true)
        {
            // The pipeline owns every timeout (per attempt, per call); HttpClient's own would cut long calls.
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    private static SidecarChaosOptions Disabled { get; } = new();

    /// <summary>The one HTTP client every sidecar call goes through.</summary>
    public HttpClient HttpClient { get; }

    /// <summary>A client for <paramref name="endpoint"/>, sharing the breaker of every other client of the same sidecar.</summary>
    public SidecarClient Get(SidecarEndpoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        return new SidecarClient(HttpClient, endpoint, GetResilience(endpoint.BaseAddress));
    }

    /// <summary>The pipeline (and breaker) of the sidecar at <paramref name="baseAddress"/>, created on first use.</summary>
    public SidecarResilience GetResilience(Uri baseAddress)
    {
        ArgumentNullException.ThrowIfNull(baseAddress);
        var key = Key(baseAddress);
        return _pipelines.GetOrAdd(key, static (k, self) => new Lazy<SidecarResilience>(
            () => SidecarResilience.Build(self._options, self._timeProvider, self._chaos, self._logger, k, self._telemetry, self._randomizer)), this).Value;
    }

    /// <summary>Drops the pipeline of a sidecar that is gone for good (its workspace was deleted); true if there was one.</summary>
    public bool Forget(Uri baseAddress)
    {
        ArgumentNullException.ThrowIfNull(baseAddress);
        return _pipelines.TryRemove(Key(baseAddress), out _);
    }

    /// <summary>How many sidecars have a pipeline.</summary>
    public int Count => _pipelines.Count;

    /// <summary>The connection pool for sidecars: pooled connections recycled after a while, no proxy, no redirects, no cookies.</summary>
    public static SocketsHttpHandler CreateHandler(SidecarClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new SocketsHttpHandler
        {
            PooledConnectionLifetime = options.PooledConnectionLifetime,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
            ConnectTimeout = options.ConnectTimeout,
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = false,
            MaxConnectionsPerServer = 256,
        };
    }

    public void Dispose() => HttpClient.Dispose();

    private static string Key(Uri baseAddress) =>
        baseAddress.IsAbsoluteUri
            ? baseAddress.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped).TrimEnd('/')
            : throw new ArgumentException("A sidecar's base address must be an absolute URI.", nameof(baseAddress));

    // A reload with invalid values must not take every sidecar call down: keep the last valid settings.
    private static Func<SidecarChaosOptions> LiveChaos(IOptionsMonitor<SidecarChaosOptions> monitor)
    {
        ArgumentNullException.ThrowIfNull(monitor);
        var lastGood = Disabled;
        return () =>
        {
            try
            {
                return lastGood = monitor.CurrentValue;
            }
            catch (OptionsValidationException)
            {
                return lastGood;
            }
        };
    }
}
