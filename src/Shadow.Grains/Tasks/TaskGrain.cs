using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using Shadow.Grains.Abstractions.Errors;
using Shadow.Grains.Abstractions.Tasks;
using Shadow.Grains.Abstractions.Workspaces;
using Shadow.Grains.Hosting;
using Shadow.Grains.Workspaces;

namespace Shadow.Grains.Tasks;

/// <summary>
/// A task: its status machine, its init steps (each recorded with start, end and error, each its own grain turn written
/// to state before the next begins) and its chat history. Init runs in the background of the grain: the call that
/// creates the task answers at once; a reminder wakes the grain after a crash and init resumes at the step it was in.
/// </summary>
public sealed partial class TaskGrain(
    [PersistentState("task", StorageNames.Default)] IPersistentState<TaskState> state,
    [PersistentState("messages", StorageNames.Default)] IPersistentState<MessageLogState> messages,
    IOptions<GitOptions> git,
    IOptions<ShadowOptions> shadow,
    TimeProvider time,
    ILogger<TaskGrain> logger) : Grain, ITaskGrain, IRemindable
{
    internal const string InitReminderName = "task-init";
    private static readonly InitStepKind[] Steps = Enum.GetValues<InitStepKind>();

    private CancellationTokenSource? _init;
    private Task? _initLoop;
    private bool _initAgain;

    private string TaskId => this.GetPrimaryKeyString();

    private TaskState S => state.State;

    private IWorkspaceLifecycleGrain Workspace => GrainFactory.GetGrain<IWorkspaceLifecycleGrain>(TaskId);

    /// <summary>The task's shadow branch.</summary>
    public static string BranchFor(string taskId) => $"shadow/task-{taskId}";

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (S is { Created: true, Status: ShadowTaskStatus.Initializing })
        {
            // Crash resume: the step that was running (or the next one) runs again.
            StartInit();
        }

        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _init?.Cancel();
        return base.OnDeactivateAsync(reason, cancellationToken);
    }

    async Task<TaskSnapshot> ITaskGrain.CreateAsync(CreateTaskCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (S.Created)
        {
            if (S.OwnerId == command.OwnerId && S.RepoUrl == command.RepoUrl && messages.State.Messages.FirstOrDefault()?.Content == command.Prompt)
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
        messages.State.Messages.Add(new ChatMessage("m1", 1, ChatRole.User, command.Prompt, now));
        S.MessageCount = 1;
        await messages.WriteStateAsync(cancellationToken);
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

        await Workspace.DeleteAsync(cancellationToken);
        S.Status = ShadowTaskStatus.Archived;
        S.UpdatedAt = time.GetUtcNow();
        await state.WriteStateAsync(cancellationToken);
        await UnregisterInitReminderAsync();
        LogInformationArchived(TaskId);
        return Snapshot();
    }

    Task<IReadOnlyList<ChatMessage>> ITaskGrain.GetMessagesAsync(CancellationToken cancellationToken)
    {
        RequireCreated();
        return Task.FromResult<IReadOnlyList<ChatMessage>>([.. messages.State.Messages]);
    }

    async Task<ChatMessage> ITaskGrain.PostMessageAsync(string content, CancellationToken cancellationToken)
    {
        RequireCreated();
        if (string.IsNullOrWhiteSpace(content))
        {
            throw new ArgumentException("A message needs content.", nameof(content));
        }

        if (S.Status == ShadowTaskStatus.Archived)
        {
            throw new TaskConflictException(TaskId, $"Task '{TaskId}' is archived: it takes no more messages.");
        }

        var log = messages.State.Messages;
        var sequence = log.Count == 0 ? 1 : log[^1].Sequence + 1;
        var message = new ChatMessage($"m{sequence}", sequence, ChatRole.User, content, time.GetUtcNow());
        log.Add(message);
        await messages.WriteStateAsync(cancellationToken);
        S.MessageCount = log.Count;
        S.UpdatedAt = message.CreatedAt;
        await state.WriteStateAsync(cancellationToken);
        return message;
    }

    async Task IRemindable.ReceiveReminder(string reminderName, TickStatus status)
    {
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

            S.Status = ShadowTaskStatus.Idle;
            S.UpdatedAt = time.GetUtcNow();
            await state.WriteStateAsync(cancellationToken);
            await UnregisterInitReminderAsync();
            LogInformationActive(TaskId);
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
                await Workspace.CreateShadowBranchAsync(cancellationToken);
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

    private async Task UnregisterInitReminderAsync()
    {
        var reminder = await this.GetReminder(InitReminderName);
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
            [.. S.Steps], S.Error, S.MessageCount);
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
