using System.ClientModel;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Shadow.Grains.Agent;

/// <summary>
/// One streamed model call with Shadow's retries: a failure worth retrying (unreachable, timed out, 408, 429, 5xx, an empty,
/// malformed or cut-off answer) is tried again after an exponential, jittered delay on <see cref="TimeProvider"/>, up to
/// <see cref="AgentOptions.MaxRetries"/> times; then <see cref="ModelCallFailedException"/> says why.
/// </summary>
public sealed class ModelCaller(AgentOptions options, TimeProvider time)
{
    /// <summary>Calls the model, handing each text delta to <paramref name="onDelta"/> and each retry to <paramref name="onRetry"/>
    /// (attempt number, reason, delay); answers the whole response.</summary>
    /// <exception cref="ModelCallFailedException">Every attempt failed, or the failure is not worth retrying.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<ChatResponse> CallAsync(IChatClient chat, IReadOnlyList<ChatMessage> messages, ChatOptions chatOptions,
        Func<string, Task> onDelta, Func<int, string, TimeSpan, Task> onRetry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(chat);
        ArgumentNullException.ThrowIfNull(onDelta);
        ArgumentNullException.ThrowIfNull(onRetry);
        for (var attempt = 0; ; attempt++)
        {
            Exception failure;
            try
            {
                return await CallOnceAsync(chat, messages, chatOptions, onDelta, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception e)
            {
                failure = e;
            }

            var reason = Describe(failure);
            if (!IsRetryable(failure))
            {
                throw new ModelCallFailedException($"The model call failed: {reason}", failure);
            }

            if (attempt >= options.MaxRetries)
            {
                throw new ModelCallFailedException(
                    $"The model call failed {attempt + 1} time{(attempt == 0 ? "" : "s")}; the last error: {reason}", failure);
            }

            var delay = Backoff(attempt);
            await onRetry(attempt + 1, reason, delay);
            await Task.Delay(delay, time, cancellationToken);
        }
    }

    private async Task<ChatResponse> CallOnceAsync(IChatClient chat, IReadOnlyList<ChatMessage> messages, ChatOptions chatOptions,
        Func<string, Task> onDelta, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(options.ModelCallTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        List<ChatResponseUpdate> updates = [];
        try
        {
            await foreach (var update in chat.GetStreamingResponseAsync(messages, chatOptions, linked.Token))
            {
                updates.Add(update);
                if (update.Text is { Length: > 0 } text)
                {
                    await onDelta(text);
                }
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"no complete answer within {options.ModelCallTimeout}");
        }

        var response = updates.ToChatResponse();
        var hasCalls = response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().Any();
        if (!hasCalls && string.IsNullOrWhiteSpace(response.Text))
        {
            throw new InvalidModelResponseException("the model's answer was empty (no text and no tool call)");
        }

        if (response.FinishReason is null)
        {
            throw new InvalidModelResponseException("the model's answer was cut off (the stream ended without a finish reason)");
        }

        if (response.FinishReason == ChatFinishReason.Length && !hasCalls)
        {
            throw new InvalidModelResponseException("the model's answer was cut off at its output limit");
        }

        return response;
    }

    private TimeSpan Backoff(int attempt)
    {
        var baseDelay = options.RetryBaseDelay.TotalMilliseconds * Math.Pow(2, attempt);
        // Full jitter on the upper half: between 50 % and 100 % of the exponential delay.
        var jittered = baseDelay * (0.5 + (Random.Shared.NextDouble() * 0.5));
        return TimeSpan.FromMilliseconds(Math.Min(jittered, TimeSpan.FromMinutes(2).TotalMilliseconds));
    }

    /// <summary>Whether a failed call may succeed when sent again.</summary>
    public static bool IsRetryable(Exception e) => e switch
    {
        ClientResultException { Status: 0 or 408 or 409 or 429 or >= 500 } => true,
        ClientResultException => false,
        _ when StatusOf(e) is { } status => status is 408 or 409 or 429 or >= 500,
        HttpRequestException or IOException or TimeoutException or InvalidModelResponseException or JsonException => true,
        InvalidOperationException or NotSupportedException or ArgumentException => false,
        _ => true,
    };

    /// <summary>A failure in words for the user: the provider's status and message, never the request (which holds no key anyway).</summary>
    public static string Describe(Exception e) => e switch
    {
        ClientResultException { Status: > 0 } c => $"HTTP {c.Status}: {FirstLine(c.Message)}",
        ClientResultException { Status: 0 } c => $"the provider could not be reached ({FirstLine(c.Message)})",
        InvalidModelResponseException or TimeoutException => e.Message,
        HttpRequestException h => $"the provider could not be reached ({FirstLine(h.Message)})",
        JsonException => $"the provider's answer was malformed ({FirstLine(e.Message)})",
        _ when StatusOf(e) is { } status => $"HTTP {status}: {FirstLine(e.Message)}",
        _ => $"{e.GetType().Name}: {FirstLine(e.Message)}",
    };

    // Provider SDKs without a common exception type (Anthropic's) expose the HTTP status as a StatusCode property.
    private static int? StatusOf(Exception e) =>
        e.GetType().GetProperty("StatusCode")?.GetValue(e) switch
        {
            System.Net.HttpStatusCode code => (int)code,
            int code => code,
            _ => null,
        };

    private static string FirstLine(string text)
    {
        var line = text.Split('\n', 2)[0].Trim();
        return line.Length <= 500 ? line : line[..500] + "…";
    }
}
