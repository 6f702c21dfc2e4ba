using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using Orleans.Storage;
using Shadow.Grains.Abstractions.Errors;
using Shadow.Grains.Abstractions.Tasks;
using Shadow.Grains.Abstractions.Users;
using Shadow.Grains.Abstractions.Workspaces;
using Shadow.Grains.Agent;
using Shadow.Grains.Agent.Tools;
using Shadow.Grains.Hosting;
using Shadow.Grains.Tasks.Events;
using Shadow.Grains.Workspaces;

namespace Shadow.Grains.Tasks;

/// <summary>
/// A task: its status machine, its init steps (each recorded with start, end and error, each its own grain turn written
/// to state before the next begins), its chat history and the agent's turns (<c>TaskGrain.Turns.cs</c>). Init and turns run
/// in the background of the grain: the calls that start them answer at once; a reminder wakes the grain after a crash and
/// the work resumes at the step it was in.
/// </summary>
public sealed partial class TaskGrain(
    [PersistentState("task", StorageNames.Default)] IPersistentState<TaskState> state,
    [PersistentState("messages", StorageNames.Default)] IPersistentState<MessageLogState> legacyMessages,
    IOptions<GitOptions> git,
    IOptions<ShadowOptions> shadow,
    IOptions<AgentOptions> agent,
    IOptions<AgentToolboxOptions> toolboxOptions,
    ChatClientFactory chats,
    TimeProvider time,
    ILogger<TaskGrain> logger) : Grain, ITaskGrain, IRemindable
{
    internal const string InitReminderName = "task-init";
    internal const int MaxQueuedMessages = 100;
    internal const int MaxMessageLength = 200_000;
    private static readonly InitStepKind[] Steps = Enum.GetValues<InitStepKind>();

    private CancellationTokenSource? _init;
    private Task? _initLoop;
    private bool _initAgain;
    private MessageLog _log = null!;

    private string TaskId => this.GetPrimaryKeyString();

    private TaskState S => state.State;

    private IWorkspaceLifecycleGrain Workspace => GrainFactory.GetGrain<IWorkspaceLifecycleGrain>(TaskId);

    /// <summary>The task's shadow branch.</summary>
    public static string BranchFor(string taskId) => $"shadow/task-{taskId}";

    private ITaskEventSink Events => GrainFactory.GetGrain<ITaskEventSink>(TaskId);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _log = new MessageLog(ServiceProvider.GetRequiredKeyedService<IGrainStorage>(StorageNames.Default), this.GetGrainId());
        await _log.LoadAsync(S.MessageCount, cancellationToken);
        if (S.Created && S.MessageLogVersion == 0)
        {
            await MigrateMessagesAsync(cancellationToken);
        }

        if (S is { Created: true, Status: ShadowTaskStatus.Initializing })
        {
            // Crash resume: the step that was running (or the next one) runs again.
            StartInit();
        }
        else if (S.Created && (S.Turn is not null || (S.Queue.Count > 0 && InitDone)))
        {
            // Crash resume: the turn continues from its last recorded step.
            StartTurns();
        }
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _init?.Cancel();
        await StopTurnLoopAsync();
        await base.OnDeactivateAsync(reason, cancellationToken);
    }

    // The first version kept the whole history in one state; it moves into pages once.
    private async Task MigrateMessagesAsync(CancellationToken cancellationToken)
    {
        var old = legacyMessages.State.Messages;
        if (old.Count > 0 && _log.Messages.Count == 0)
        {
            await _log.AppendRangeAsync(old, cancellationToken);
        }

        S.MessageCount = _log.Messages.Count;
        S.NextMessageNumber = Math.Max(S.NextMessageNumber, _log.Messages.Count + 1);
        S.MessageLogVersion = 1;
        await state.WriteStateAsync(cancellationToken);
        if (old.Count > 0)
        {
            await legacyMessages.ClearStateAsync(cancellationToken);
        }
    }

    async Task<TaskSnapshot> ITaskGrain.CreateAsync(CreateTaskCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (S.Created)
        {
            if (S.OwnerId == command.OwnerId && S.RepoUrl == command.RepoUrl.Trim() && _log.Messages.FirstOrDefault()?.Content == command.Prompt)
            {
                return Snapshot();
            }

            throw new TaskConflictException(TaskId, $"A task with the id '{TaskId}' exists already.");
        }

        if (string.IsNullOrWhiteSpace(command.OwnerId) || string.IsNullOrWhiteSpace(command.RepoUrl) || string.IsNullOrWhiteSpace(command.Prompt))
        {
            throw new ArgumentException("A task needs an owner, a repository URL and a prompt.", nameof(command));
        }

        RemotePolicy.Check(command.RepoUrl, shadow.Value.DataDirFullPath, git.Value.AllowLocalRemotes);

        var now = time.GetUtcNow();
        S.Created = true;
        S.OwnerId = command.OwnerId;
        S.RepoUrl = command.RepoUrl.Trim();
        S.BaseBranch = string.IsNullOrWhiteSpace(command.BaseBranch) ? null : command.BaseBranch.Trim();
        S.Model = command.Model;
        S.Title = string.IsNullOrWhiteSpace(command.Title) ? TitleFrom(command.Prompt) : command.Title.Trim();
        S.CreatedAt = S.UpdatedAt = now;
        S.Status = ShadowTaskStatus.Initializing;
        S.Steps = [.. Steps.Select(step => new InitStepRecord(step, InitStepStatus.Pending, null, null, null, 0))];
        S.MessageLogVersion = 1;
        await _log.AppendAsync(new ChatMessage(NextMessageId(), 1, ChatRole.User, command.Prompt, now), cancellationToken);
        S.MessageCount = 1;
        await state.WriteStateAsync(cancellationToken);
        await this.RegisterOrUpdateReminder(InitReminderName, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
        LogInformationCreated(TaskId, S.OwnerId);
        StartInit();
        return Snapshot();
    }

    Task<TaskSnapshot> ITaskGrain.GetAsync(CancellationToken cancellationToken) => Task.FromResult(Snapshot());

    async Task<TaskSnapshot> ITaskGrain.RetryInitAsync(CancellationToken cancellationToken)
    {
        RequireCreated();
        if (S.Status != ShadowTaskStatus.Failed || S.Steps.All(s => s.Status != InitStepStatus.Failed))
        {
            throw new TaskConflictException(TaskId, $"Only a task whose init failed can retry init; task '{TaskId}' is {S.Status.ToString().ToLowerInvariant()}.");
        }

        S.Status = ShadowTaskStatus.Initializing;
        S.Error = null;
        S.UpdatedAt = time.GetUtcNow();
        await state.WriteStateAsync(cancellationToken);
        await this.RegisterOrUpdateReminder(InitReminderName, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
        StartInit();
        return Snapshot();
    }

    async Task<TaskSnapshot> ITaskGrain.ArchiveAsync(CancellationToken cancellationToken)
    {
        RequireCreated();
        if (S.Status == ShadowTaskStatus.Archived)
        {
            return Snapshot();
        }

        if (_init is { } init)
        {
            init.Cancel();
            if (_initLoop is { } loop)
            {
                await loop.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Current);
            }
        }

        // A running turn ends where it is (its work is committed first, when the workspace still answers).
        if (S.Turn is not null)
        {
            await StopTurnLoopAsync();
            S.Turn.StopRequested = true;
            S.Turn.StopNote = "The task was archived.";
            S.Queue.Clear();
            await RunTurnsCoreAsync(CancellationToken.None);
        }

        await Workspace.DeleteAsync(cancellationToken);
        S.Status = ShadowTaskStatus.Archived;
        S.Queue.Clear();
        S.UpdatedAt = time.GetUtcNow();
        await state.WriteStateAsync(cancellationToken);
        await UnregisterInitReminderAsync();
        await UnregisterTurnReminderAsync();
        await PublishStatusAsync();
        LogInformationArchived(TaskId);
        return Snapshot();
    }

    Task<IReadOnlyList<ChatMessage>> ITaskGrain.GetMessagesAsync(CancellationToken cancellationToken)
    {
        RequireCreated();
        return Task.FromResult<IReadOnlyList<ChatMessage>>([.. _log.Messages]);
    }

    async Task IRemindable.ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName == TurnReminderName)
        {
            await OnTurnReminderAsync();
            return;
        }

        if (reminderName != InitReminderName)
        {
            return;
        }

        if (S is { Created: true, Status: ShadowTaskStatus.Initializing })
        {
            StartInit();
        }
        else
        {
            await UnregisterInitReminderAsync();
        }
    }

    private void StartInit()
    {
        if (_initLoop is { IsCompleted: false })
        {
            // The loop is finishing (e.g. writing a failure); it starts again once done.
            _initAgain = true;
            return;
        }

        _initAgain = false;

        _init?.Dispose();
        _init = new CancellationTokenSource();
        _initLoop = RunInitAsync(_init.Token);
    }

    private async Task RunInitAsync(CancellationToken cancellationToken)
    {
        // Leave the calling turn first: each step then runs as its own turns of this grain.
        await Task.CompletedTask.ConfigureAwait(ConfigureAwaitOptions.ContinueOnCapturedContext | ConfigureAwaitOptions.ForceYielding);
        try
        {
            for (var i = 0; i < S.Steps.Count; i++)
            {
                if (S.Steps[i].Status == InitStepStatus.Succeeded)
                {
                    continue;
                }

                cancellationToken.ThrowIfCancellationRequested();
                var step = S.Steps[i].Step;
                S.Steps[i] = S.Steps[i] with { Status = InitStepStatus.Running, StartedAt = time.GetUtcNow(), EndedAt = null, Error = null, Attempts = S.Steps[i].Attempts + 1 };
                S.UpdatedAt = time.GetUtcNow();
                await state.WriteStateAsync(cancellationToken);
                try
                {
                    await RunStepAsync(step, cancellationToken);
                }
                catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    // Nothing is left running, and the reminder is gone, before anyone can see the task failed.
                    var error = Describe(e);
                    await ReleaseWorkspaceAsync();
                    await UnregisterInitReminderAsync();
                    S.Steps[i] = S.Steps[i] with { Status = InitStepStatus.Failed, EndedAt = time.GetUtcNow(), Error = error };
                    S.Status = ShadowTaskStatus.Failed;
                    S.Error = $"{step} failed: {error}";
                    S.UpdatedAt = time.GetUtcNow();
                    LogWarningInitFailed(TaskId, step, error);
                    await state.WriteStateAsync(CancellationToken.None);
                    return;
                }

                S.Steps[i] = S.Steps[i] with { Status = InitStepStatus.Succeeded, EndedAt = time.GetUtcNow() };
                S.UpdatedAt = time.GetUtcNow();
                await state.WriteStateAsync(cancellationToken);
            }

            // The prompt (and anything sent meanwhile) gets its turn now.
            var startTurn = _log.Last is { Role: ChatRole.User } prompt && S.Turn is null;
            if (startTurn)
            {
                BeginTurnState(_log.Last!.Id);
            }

            S.Status = startTurn ? ShadowTaskStatus.Running : ShadowTaskStatus.Idle;
            S.UpdatedAt = time.GetUtcNow();
            await state.WriteStateAsync(cancellationToken);
            await UnregisterInitReminderAsync();
            LogInformationActive(TaskId);
            if (startTurn)
            {
                await PublishAsync(Event(TaskEventKind.TurnStarted) with { MessageId = S.Turn!.UserMessageId }, StatusEvent());
            }
            else
            {
                await PublishStatusAsync();
            }
            if (startTurn || S.Queue.Count > 0)
            {
                await EnsureTurnReminderAsync();
                StartTurns();
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Archived or deactivated: the reminder (or the next activation) resumes if the task still initializes.
        }
        catch (Exception e)
        {
            // Recording the step failed (storage): the reminder runs init again from the step it was in.
            LogErrorInitLoop(TaskId, e);
        }
        finally
        {
            if (_initAgain && S.Status == ShadowTaskStatus.Initializing && !cancellationToken.IsCancellationRequested)
            {
                _initAgain = false;
                _initLoop = RunInitAsync(cancellationToken);
            }
        }
    }

    private async Task RunStepAsync(InitStepKind step, CancellationToken cancellationToken)
    {
        switch (step)
        {
            case InitStepKind.PrepareWorkspace:
                await Workspace.ConfigureAsync(new WorkspaceSpec(TaskId, S.RepoUrl, S.BaseBranch, BranchFor(TaskId)), cancellationToken);
                break;
            case InitStepKind.CreateWorkspace:
                await Workspace.CreateAsync(cancellationToken);
                break;
            case InitStepKind.WaitSidecarReady:
                await Workspace.WaitReadyAsync(cancellationToken);
                break;
            case InitStepKind.CloneRepository:
                var info = await Workspace.CloneAsync(cancellationToken);
                S.BaseBranch ??= info.BaseBranch;
                break;
            case InitStepKind.CreateShadowBranch:
                var branch = await Workspace.CreateShadowBranchAsync(cancellationToken);
                S.BaseSha ??= branch.HeadSha;
                break;
            case InitStepKind.Active:
                break;
            default:
                throw new InvalidOperationException($"Unknown init step {step}.");
        }
    }

    private async Task ReleaseWorkspaceAsync()
    {
        try
        {
            await Workspace.ReleaseAsync();
        }
        catch (Exception e)
        {
            LogWarningReleaseFailed(TaskId, e.Message);
        }
    }

    private Task UnregisterInitReminderAsync() => UnregisterReminderAsync(InitReminderName);

    private async Task UnregisterReminderAsync(string name)
    {
        var reminder = await this.GetReminder(name);
        if (reminder is not null)
        {
            await this.UnregisterReminder(reminder);
        }
    }

    private static string Describe(Exception e) => e switch
    {
        WorkspaceProblemException p => p.Detail,
        WorkspaceUnavailableException or TaskConflictException => e.Message,
        TimeoutException => $"timed out ({e.Message})",
        _ => $"{e.GetType().Name}: {e.Message}",
    };

    private static string TitleFrom(string prompt)
    {
        var line = prompt.Trim().Split('\n', 2)[0].Trim();
        return line.Length <= 80 ? line : string.Concat(line.AsSpan(0, 77), "...");
    }

    private void RequireCreated()
    {
        if (!S.Created)
        {
            throw new TaskNotFoundException(TaskId);
        }
    }

    private TaskSnapshot Snapshot()
    {
        RequireCreated();
        return new TaskSnapshot(TaskId, S.Status, S.UpdatedAt, S.OwnerId, S.Title, S.RepoUrl, S.BaseBranch, BranchFor(TaskId), S.Model, S.CreatedAt,
            [.. S.Steps], S.Error, S.MessageCount, S.Usage, [.. S.Queue], [.. S.Checkpoints],
            new AgentInfo(chats.Provider.ToString(), S.Model ?? chats.ModelId, chats.IsScripted), S.Turn?.Steps ?? S.TurnSteps);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Task {TaskId} created for user {OwnerId}")]
    private partial void LogInformationCreated(string taskId, string ownerId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Task {TaskId} is active: its workspace is ready")]
    private partial void LogInformationActive(string taskId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Task {TaskId}: init step {Step} failed: {Error}")]
    private partial void LogWarningInitFailed(string taskId, InitStepKind step, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Task {TaskId}: releasing the workspace after a failed init failed: {Error}")]
    private partial void LogWarningReleaseFailed(string taskId, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Task {TaskId}: init stopped on an unexpected error; the init reminder resumes it")]
    private partial void LogErrorInitLoop(string taskId, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Task {TaskId} archived")]
    private partial void LogInformationArchived(string taskId);
}
