using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.AI;

namespace Shadow.Grains.Agent;

/// <summary>
/// An <see cref="IChatClient"/> that replays a recorded conversation. The answer to a request is the recorded turn after as many
/// turns as the request's history holds assistant messages: the replay follows the conversation (a rollback or a restart
/// replays from the same place), and one instance serves any number of tasks. Once the script is exhausted it answers
/// <see cref="ExhaustedText"/>. A commit-message request (<see cref="AgentRequestPurpose"/>) gets the script's
/// <c>commitMessage</c>, or fails when it has none (the caller then falls back to its own summary).
/// </summary>
/// <remarks>
/// File format (JSON; see <c>samples/agent/hello.json</c>):
/// <code>
/// { "commitMessage": "Read the README",   (optional)
///   "turns": [
///     { "text": "I will read the README." },
///     { "toolCalls": [ { "id": "call_1", "name": "read_file", "arguments": { "path": "README.md" } } ] },
///     { "text": "Done." } ] }
/// </code>
/// Each turn has exactly one of <c>text</c> (a non-empty string, streamed in a few chunks) or <c>toolCalls</c> (a non-empty
/// array; each call has a <c>name</c>, optional <c>arguments</c> object and optional <c>id</c>, defaulting to
/// <c>call_{turn}_{index}</c>). Unknown fields are errors, so a typo is reported rather than ignored.
/// </remarks>
public sealed class ScriptedChatClient : IChatClient
{
    /// <summary>The model id the scripted client reports.</summary>
    public const string ModelId = "scripted";

    /// <summary>The answer once every recorded turn has been replayed.</summary>
    public const string ExhaustedText = "The scripted conversation has ended: every recorded turn was replayed.";

    private const int StreamChunks = 3;

    private static readonly JsonSerializerOptions SerializerOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        PropertyNameCaseInsensitive = false,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    private readonly IReadOnlyList<ChatMessage> _turns;
    private readonly string? _commitMessage;
    private int _replayed;

    private ScriptedChatClient(IReadOnlyList<ChatMessage> turns, string? commitMessage, string source)
    {
        _turns = turns;
        _commitMessage = commitMessage;
        Source = source;
    }

    /// <summary>Where the script came from (a file path, or the name given to <see cref="Parse"/>).</summary>
    public string Source { get; }

    /// <summary>How many recorded assistant turns the script holds.</summary>
    public int TurnCount => _turns.Count;

    /// <summary>The furthest turn replayed so far (capped at <see cref="TurnCount"/>).</summary>
    public int Replayed => Math.Min(Volatile.Read(ref _replayed), _turns.Count);

    /// <summary>Reads and validates the script at <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">The file is malformed; the message names the file and the line or field.</exception>
    public static ScriptedChatClient Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string json;
        try
        {
            json = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"Agent script '{path}' cannot be read: {ex.Message}", ex);
        }

        return Parse(json, path);
    }

    /// <summary>Parses and validates a script held in memory; <paramref name="source"/> names it in errors.</summary>
    /// <exception cref="InvalidDataException">The script is malformed; the message names the line or field.</exception>
    public static ScriptedChatClient Parse(string json, string source)
    {
        ArgumentNullException.ThrowIfNull(json);
        ScriptFile? file;
        try
        {
            file = JsonSerializer.Deserialize<ScriptFile>(json, SerializerOptions);
        }
        catch (JsonException ex)
        {
            var where = ex.LineNumber is { } line ? $"line {line + 1}" : "an unknown line";
            var field = string.IsNullOrEmpty(ex.Path) ? "" : $", field {ex.Path}";
            throw new InvalidDataException($"Agent script '{source}' is malformed at {where}{field}: {ex.Message}", ex);
        }

        if (file?.Turns is not { Count: > 0 } turns)
        {
            throw new InvalidDataException($"Agent script '{source}': field $.turns must be a non-empty array of assistant turns.");
        }

        List<ChatMessage> messages = [];
        for (var i = 0; i < turns.Count; i++)
        {
            messages.Add(ToMessage(turns[i], i, source));
        }

        if (file.CommitMessage is { Length: 0 } || (file.CommitMessage is not null && string.IsNullOrWhiteSpace(file.CommitMessage)))
        {
            throw new InvalidDataException($"Agent script '{source}': field $.commitMessage must not be blank (leave it out instead).");
        }

        return new ScriptedChatClient(messages, file.CommitMessage, source);
    }

    /// <inheritdoc />
    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var (message, index) = Next(messages, options);
        var response = new ChatResponse(message.Clone())
        {
            ResponseId = ResponseIdFor(index),
            ModelId = ModelId,
            FinishReason = FinishReasonOf(message),
        };
        return Task.FromResult(response);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var (message, index) = Next(messages, options);
        var responseId = ResponseIdFor(index);
        var finish = FinishReasonOf(message);
        if (message.Contents is [TextContent text])
        {
            var chunks = Chunk(text.Text);
            for (var c = 0; c < chunks.Count; c++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                // Yield between chunks so a consumer sees them arrive one at a time, as from a real stream.
                await Task.Yield();
                yield return new ChatResponseUpdate(ChatRole.Assistant, chunks[c])
                {
                    ResponseId = responseId,
                    MessageId = message.MessageId,
                    ModelId = ModelId,
                    FinishReason = c == chunks.Count - 1 ? finish : null,
                };
            }

            yield break;
        }

        cancellationToken.ThrowIfCancellationRequested();
        await Task.Yield();
        yield return new ChatResponseUpdate(ChatRole.Assistant, [.. message.Contents])
        {
            ResponseId = responseId,
            MessageId = message.MessageId,
            ModelId = ModelId,
            FinishReason = finish,
        };
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null)
        {
            return null;
        }

        if (serviceType == typeof(ChatClientMetadata))
        {
            return new ChatClientMetadata(ModelId, null, ModelId);
        }

        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    /// <inheritdoc />
    public void Dispose()
    {
    }

    private (ChatMessage Message, int Index) Next(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        ArgumentNullException.ThrowIfNull(messages);
        if (AgentRequestPurpose.IsCommitMessage(options))
        {
            return _commitMessage is null
                ? throw new InvalidOperationException($"Agent script '{Source}' records no commitMessage.")
                : (new ChatMessage(ChatRole.Assistant, _commitMessage) { MessageId = "scripted-commit-message" }, -1);
        }

        var index = messages.Count(m => m.Role == ChatRole.Assistant);
        var replayed = Volatile.Read(ref _replayed);
        while (index + 1 > replayed && Interlocked.CompareExchange(ref _replayed, index + 1, replayed) != replayed)
        {
            replayed = Volatile.Read(ref _replayed);
        }

        return index < _turns.Count
            ? (_turns[index], index)
            : (new ChatMessage(ChatRole.Assistant, ExhaustedText) { MessageId = $"scripted-end-{index}" }, index);
    }

    private static string ResponseIdFor(int index) => $"scripted-{index}";

    private static ChatFinishReason FinishReasonOf(ChatMessage message) =>
        message.Contents.Any(c => c is FunctionCallContent) ? ChatFinishReason.ToolCalls : ChatFinishReason.Stop;

    private static List<string> Chunk(string text)
    {
        var size = Math.Max(1, (text.Length + StreamChunks - 1) / StreamChunks);
        List<string> chunks = [];
        for (var start = 0; start < text.Length; start += size)
        {
            chunks.Add(text.Substring(start, Math.Min(size, text.Length - start)));
        }

        return chunks;
    }

    private static ChatMessage ToMessage(ScriptTurn? turn, int index, string source)
    {
        var field = $"$.turns[{index}]";
        if (turn is null)
        {
            throw new InvalidDataException($"Agent script '{source}': field {field} must be an object with 'text' or 'toolCalls'.");
        }

        var hasText = turn.Text is not null;
        var hasCalls = turn.ToolCalls is not null;
        if (hasText == hasCalls)
        {
            throw new InvalidDataException($"Agent script '{source}': field {field} must have exactly one of 'text' or 'toolCalls' (it has "
                + (hasText ? "both" : "neither") + ").");
        }

        var messageId = $"scripted-message-{index}";
        if (hasText)
        {
            if (string.IsNullOrEmpty(turn.Text))
            {
                throw new InvalidDataException($"Agent script '{source}': field {field}.text must not be empty.");
            }

            return new ChatMessage(ChatRole.Assistant, turn.Text) { MessageId = messageId };
        }

        if (turn.ToolCalls is not { Count: > 0 } calls)
        {
            throw new InvalidDataException($"Agent script '{source}': field {field}.toolCalls must be a non-empty array.");
        }

        List<AIContent> contents = [];
        for (var c = 0; c < calls.Count; c++)
        {
            var callField = $"{field}.toolCalls[{c}]";
            var call = calls[c] ?? throw new InvalidDataException($"Agent script '{source}': field {callField} must be an object with a 'name'.");
            if (string.IsNullOrWhiteSpace(call.Name))
            {
                throw new InvalidDataException($"Agent script '{source}': field {callField}.name is missing or empty.");
            }

            Dictionary<string, object?>? arguments = null;
            if (call.Arguments is { } args)
            {
                if (args.ValueKind != JsonValueKind.Object)
                {
                    throw new InvalidDataException($"Agent script '{source}': field {callField}.arguments must be a JSON object (is {args.ValueKind}).");
                }

                arguments = args.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone(), StringComparer.Ordinal);
            }

            var callId = string.IsNullOrWhiteSpace(call.Id) ? $"call_{index}_{c}" : call.Id;
            contents.Add(new FunctionCallContent(callId, call.Name, arguments));
        }

        return new ChatMessage(ChatRole.Assistant, contents) { MessageId = messageId };
    }

    private sealed class ScriptFile
    {
        public string? CommitMessage { get; set; }

        public List<ScriptTurn?>? Turns { get; set; }
    }

    private sealed class ScriptTurn
    {
        public string? Text { get; set; }

        public List<ScriptToolCall?>? ToolCalls { get; set; }
    }

    private sealed class ScriptToolCall
    {
        public string? Id { get; set; }

        public string? Name { get; set; }

        public JsonElement? Arguments { get; set; }
    }
}
