using Shadow.Grains.Abstractions.Errors;
using Shadow.Grains.Abstractions.Tasks;

namespace Shadow.Gateway.Tests.Fakes;

/// <summary>In-memory task: created Initializing, Idle from then on; a repoUrl ending in "/fail" makes init fail.</summary>
public sealed class FakeTaskGrain : Grain, ITaskGrain
{
    private static readonly DateTimeOffset Epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly List<ChatMessage> _messages = [];
    private TaskSnapshot? _task;

    public Task<TaskSnapshot> CreateAsync(CreateTaskCommand command, CancellationToken cancellationToken = default)
    {
        if (_task is not null)
        {
            return _task.OwnerId == command.OwnerId && _task.RepoUrl == command.RepoUrl
                ? Task.FromResult(_task)
                : throw new TaskConflictException(_task.Id, "A different task already has this id.");
        }

        var id = this.GetPrimaryKeyString();
        var failing = command.RepoUrl.EndsWith("/fail", StringComparison.Ordinal);
        var steps = Enum.GetValues<InitStepKind>()
            .Select(s => new InitStepRecord(s, InitStepStatus.Pending, null, null, null, 0)).ToArray();
        var created = new TaskSnapshot(id, ShadowTaskStatus.Initializing, Epoch, command.OwnerId, command.Title ?? "untitled", command.RepoUrl,
            command.BaseBranch, $"shadow/task-{id}", command.Model, Epoch, steps, null, 1);
        _messages.Add(new ChatMessage("m1", 1, ChatRole.User, command.Prompt, Epoch));
        _task = failing
            ? created with { Status = ShadowTaskStatus.Failed, Error = "clone failed", InitSteps = [steps[0] with { Status = InitStepStatus.Failed, Error = "clone failed", Attempts = 1 }] }
            : created with { Status = ShadowTaskStatus.Idle };
        return Task.FromResult(created);
    }

    public Task<TaskSnapshot> GetAsync(CancellationToken cancellationToken = default) => Task.FromResult(Current);

    public Task<TaskSnapshot> RetryInitAsync(CancellationToken cancellationToken = default)
    {
        if (Current.Status != ShadowTaskStatus.Failed)
        {
            throw new TaskConflictException(Current.Id, "Init has not failed: nothing to retry.");
        }

        _task = Current with { Status = ShadowTaskStatus.Initializing, Error = null };
        return Task.FromResult(_task);
    }

    public Task<TaskSnapshot> ArchiveAsync(CancellationToken cancellationToken = default)
    {
        _task = Current with { Status = ShadowTaskStatus.Archived };
        return Task.FromResult(_task);
    }

    public Task<IReadOnlyList<ChatMessage>> GetMessagesAsync(CancellationToken cancellationToken = default)
    {
        _ = Current;
        return Task.FromResult<IReadOnlyList<ChatMessage>>([.. _messages]);
    }

    public Task<ChatMessage> PostMessageAsync(string content, CancellationToken cancellationToken = default)
    {
        if (Current.Status == ShadowTaskStatus.Archived)
        {
            throw new TaskConflictException(Current.Id, "The task is archived.");
        }

        var message = new ChatMessage($"m{_messages.Count + 1}", _messages.Count + 1, ChatRole.User, content, Epoch);
        _messages.Add(message);
        _task = Current with { MessageCount = _messages.Count };
        return Task.FromResult(message);
    }

    public Task<TaskSnapshot> StopAsync(CancellationToken cancellationToken = default) => Task.FromResult(Current with { Status = ShadowTaskStatus.Stopped });

    public Task<TaskSnapshot> RollbackAsync(string messageId, CancellationToken cancellationToken = default) =>
        _messages.Any(m => m.Id == messageId)
            ? Task.FromResult(Current)
            : throw new InvalidTaskRequestException("messageId", $"Task '{Current.Id}' has no message '{messageId}'.");

    public Task<ChatMessage> EditMessageAsync(string messageId, string content, CancellationToken cancellationToken = default)
    {
        var index = _messages.FindIndex(m => m.Id == messageId);
        if (index < 0)
        {
            throw new InvalidTaskRequestException("messageId", $"Task '{Current.Id}' has no message '{messageId}'.");
        }

        _messages[index] = _messages[index] with { Content = content };
        return Task.FromResult(_messages[index]);
    }

    private TaskSnapshot Current => _task ?? throw new TaskNotFoundException(this.GetPrimaryKeyString());
}
