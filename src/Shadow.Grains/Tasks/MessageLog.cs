using Orleans.Storage;
using Shadow.Grains.Abstractions.Tasks;

namespace Shadow.Grains.Tasks;

/// <summary>
/// A task's chat history as append-only pages in grain storage (state names <c>messages-0</c>, <c>messages-1</c>, …, under the
/// task grain's id): an append writes only the last page, so what a step writes stays bounded however long the chat grows.
/// Works on any grain storage provider. Not thread-safe: the task grain's turns serialize its use.
/// </summary>
internal sealed class MessageLog(IGrainStorage storage, GrainId grainId)
{
    /// <summary>Messages per page.</summary>
    public const int PageSize = 16;

    private readonly List<GrainState<MessagePageState>> _pages = [];
    private readonly List<ChatMessage> _all = [];

    public IReadOnlyList<ChatMessage> Messages => _all;

    public ChatMessage? Last => _all.Count == 0 ? null : _all[^1];

    /// <summary>Reads the pages that hold <paramref name="count"/> messages.</summary>
    public async Task LoadAsync(int count, CancellationToken cancellationToken)
    {
        _pages.Clear();
        _all.Clear();
        var pages = (count + PageSize - 1) / PageSize;
        for (var i = 0; i < pages; i++)
        {
            var page = new GrainState<MessagePageState>(new MessagePageState());
            await storage.ReadStateAsync(PageName(i), grainId, page);
            _pages.Add(page);
            _all.AddRange(MessagesOf(page));
        }

        if (_all.Count > count)
        {
            // A write that outlived a crash of its turn (the count was not recorded): the recorded count wins.
            _all.RemoveRange(count, _all.Count - count);
        }
    }

    /// <summary>Appends one message (its <see cref="ChatMessage.Sequence"/> must follow the last one) and writes its page.</summary>
    public async Task AppendAsync(ChatMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var index = _all.Count / PageSize;
        if (index == _pages.Count)
        {
            _pages.Add(new GrainState<MessagePageState>(new MessagePageState()));
        }

        var page = _pages[index];
        var messages = MessagesOf(page);
        var offset = _all.Count % PageSize;
        if (messages.Count > offset)
        {
            messages.RemoveRange(offset, messages.Count - offset);
        }

        messages.Add(message);
        await storage.WriteStateAsync(PageName(index), grainId, page);
        _all.Add(message);
    }

    /// <summary>Appends several messages (e.g. migrated ones), writing each page once.</summary>
    public async Task AppendRangeAsync(IEnumerable<ChatMessage> messages, CancellationToken cancellationToken)
    {
        foreach (var message in messages)
        {
            var index = _all.Count / PageSize;
            if (index == _pages.Count)
            {
                _pages.Add(new GrainState<MessagePageState>(new MessagePageState()));
            }

            MessagesOf(_pages[index]).Add(message);
            _all.Add(message);
        }

        for (var i = 0; i < _pages.Count; i++)
        {
            await storage.WriteStateAsync(PageName(i), grainId, _pages[i]);
        }
    }

    /// <summary>Keeps the first <paramref name="count"/> messages and removes the rest from storage.</summary>
    public async Task TruncateAsync(int count, CancellationToken cancellationToken)
    {
        if (count >= _all.Count)
        {
            return;
        }

        _all.RemoveRange(count, _all.Count - count);
        var keepPages = (count + PageSize - 1) / PageSize;
        for (var i = _pages.Count - 1; i >= keepPages; i--)
        {
            await storage.ClearStateAsync(PageName(i), grainId, _pages[i]);
            _pages.RemoveAt(i);
        }

        if (keepPages > 0)
        {
            var last = _pages[keepPages - 1];
            var messages = MessagesOf(last);
            var offset = count - ((keepPages - 1) * PageSize);
            if (messages.Count > offset)
            {
                messages.RemoveRange(offset, messages.Count - offset);
                await storage.WriteStateAsync(PageName(keepPages - 1), grainId, last);
            }
        }
    }

    /// <summary>Replaces the message at <paramref name="index"/> and writes its page.</summary>
    public async Task ReplaceAsync(int index, ChatMessage message, CancellationToken cancellationToken)
    {
        var page = _pages[index / PageSize];
        MessagesOf(page)[index % PageSize] = message;
        _all[index] = message;
        await storage.WriteStateAsync(PageName(index / PageSize), grainId, page);
    }

    private static string PageName(int index) => $"messages-{index}";

    private static List<ChatMessage> MessagesOf(GrainState<MessagePageState> page) => (page.State ??= new MessagePageState()).Messages;
}
