using System.Globalization;
using System.Text;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Shadow.Grains.Abstractions.Errors;
using Shadow.Grains.Abstractions.Tasks;
using Shadow.Grains.Abstractions.Users;
using Shadow.Grains.Abstractions.Workspaces;
using Shadow.Grains.Agent;
using Shadow.Grains.Agent.Tools;
using Shadow.Grains.Workspaces;
using ChatMessage = Shadow.Grains.Abstractions.Tasks.ChatMessage;
using ChatRole = Shadow.Grains.Abstractions.Tasks.ChatRole;

namespace Shadow.Grains.Tasks;

/// <summary>
/// The agent's turns. A turn never is one long grain call: the call that starts it answers at once, and the turn advances in
/// the background as steps (one model call, or one tool call), each recorded (history page and cursor) before the next
/// begins. Stop, follow-ups and reads are served between steps; after a crash the turn reminder (or the next activation)
/// continues from the last recorded step. A command that was started but not recorded as done is not run again: the model
/// is told it may have run.
/// </summary>
public sealed partial class TaskGrain
{
    internal const string TurnReminderName = "task-turn";
    private const int CommitDiffBytes = 48 * 1024;
    private static readonly TimeSpan DeltaFlushInterval = TimeSpan.FromMilliseconds(40);

    private IChatClient? _chat;
    private AgentToolbox? _toolbox;
    private CancellationTokenSource? _loop;
    private CancellationTokenSource? _step;
    private Task? _turnLoop;
    private bool _turnsAgain;
    private IGrainTimer? _keepAlive;

    private bool InitDone => S.Steps.Count > 0 && S.Steps.All(s => s.Status == InitStepStatus.Succeeded);

    private IChatClient Chat => _chat ??= chats.CreateChatClient();

    private AgentToolbox Toolbox => _toolbox ??= new AgentToolbox(TaskId, GrainFactory.GetGrain<IWorkspaceGrain>(TaskId), toolboxOptions.Value, S.Todos);

    async Task<ChatMessage> ITaskGrain.PostMessageAsync(string content, CancellationToken cancellationToken)
    {
        RequireCreated();
        CheckContent(content);
        if (S.Status == ShadowTaskStatus.Archived)
        {
            throw new TaskConflictException(TaskId, $"Task '{TaskId}' is archived: it takes no more messages.");
        }

        if (S.Steps.Any(s => s.Status == InitStepStatus.Failed))
        {
            throw new TaskConflictException(TaskId, $"Task '{TaskId}' failed to initialize ({S.Error}); retry init (POST /api/tasks/{TaskId}/retry) before sending messages.");
        }

        if (S.Queue.Count >= MaxQueuedMessages)
        {
            throw new TaskConflictException(TaskId, $"Task '{TaskId}' already has {MaxQueuedMessages} follow-ups queued; wait for the running turn or stop it.");
        }

        var now = time.GetUtcNow();
        var message = new ChatMessage(NextMessageId(), 0, ChatRole.User, content, now);
        S.UpdatedAt = now;
        if (S.Turn is null && S.Queue.Count == 0 && S.Status != ShadowTaskStatus.Initializing)
        {
            message = message with { Sequence = _log.Messages.Count + 1 };
            await AppendAsync(message, cancellationToken);
            BeginTurnState(message.Id);
            S.Status = ShadowTaskStatus.Running;
            S.Error = null;
            await state.WriteStateAsync(cancellationToken);
            await PublishAsync(Event(TaskEventKind.Message, message), Event(TaskEventKind.TurnStarted) with { MessageId = message.Id }, StatusEvent());
            await EnsureTurnReminderAsync();
            StartTurns();
            return message;
        }

        // A turn runs (or init does): the follow-up waits its turn, in order.
        S.Queue.Add(message);
        await state.WriteStateAsync(cancellationToken);
        LogInformationQueued(TaskId, message.Id, S.Queue.Count);
        return message;
    }

    async Task<TaskSnapshot> ITaskGrain.StopAsync(CancellationToken cancellationToken)
    {
        RequireCreated();
        if (S.Turn is not { } turn)
        {
            return Snapshot();
        }

        if (!turn.StopRequested)
        {
            var dropped = S.Queue.ToList();
            S.Queue.Clear();
            turn.StopRequested = true;
            turn.StopNote = dropped.Count == 0
                ? "Stopped by the user."
                : $"Stopped by the user. {dropped.Count} queued follow-up{(dropped.Count == 1 ? " was" : "s were")} not run: "
                  + string.Join("; ", dropped.Select(m => $"\"{Shorten(m.Content, 200)}\""));
            S.UpdatedAt = time.GetUtcNow();
            await state.WriteStateAsync(cancellationToken);
            LogInformationStopRequested(TaskId);
            // The step running now ends at once (a model call is dropped, a command is killed); the turn then commits.
            _step?.Cancel();
        }

        return Snapshot();
    }

    async Task<TaskSnapshot> ITaskGrain.RollbackAsync(string messageId, CancellationToken cancellationToken)
    {
        RequireCreated();
        RequireQuiet("roll back");
        var checkpoint = S.Checkpoints.LastOrDefault(c => c.MessageId == messageId)
            ?? throw new InvalidTaskRequestException("messageId",
                $"Message '{messageId}' of task '{TaskId}' has no checkpoint. Checkpoints: "
                + (S.Checkpoints.Count == 0 ? "none yet" : string.Join(", ", S.Checkpoints.Select(c => c.MessageId))) + ".");
        var index = IndexOf(messageId);
        await ResetWorkspaceToAsync(checkpoint.Sha, cancellationToken);
        await TruncateAsync(index + 1, cancellationToken);
        S.Status = ShadowTaskStatus.Idle;
        S.Error = null;
        S.UpdatedAt = time.GetUtcNow();
        await state.WriteStateAsync(cancellationToken);
        LogInformationRolledBack(TaskId, messageId, checkpoint.Sha);
        await PublishAsync(Event(TaskEventKind.Rollback) with { MessageId = messageId, CommitSha = checkpoint.Sha }, StatusEvent());
        return Snapshot();
    }

    async Task<ChatMessage> ITaskGrain.EditMessageAsync(string messageId, string content, CancellationToken cancellationToken)
    {
        RequireCreated();
        CheckContent(content);
        RequireQuiet("edit a message");
        var index = IndexOf(messageId);
        var lastUser = _log.Messages.Select((m, i) => (m, i)).LastOrDefault(p => p.m.Role == ChatRole.User);
        if (lastUser.m is null || lastUser.i != index)
        {
            throw new TaskConflictException(TaskId, $"Only the last user message ({lastUser.m?.Id ?? "none"}) can be edited, not '{messageId}'.");
        }

        // The workspace goes back to where it was before this message: the previous turn's checkpoint, or the branch's start.
        var sequence = _log.Messages[index].Sequence;
        var before = S.Checkpoints.LastOrDefault(c => _log.Messages.FirstOrDefault(m => m.Id == c.MessageId)?.Sequence < sequence);
        var sha = before?.Sha ?? S.BaseSha
            ?? throw new TaskConflictException(TaskId, $"Task '{TaskId}' has no commit to go back to yet.");
        await ResetWorkspaceToAsync(sha, cancellationToken);
        await TruncateAsync(index, cancellationToken);
        var now = time.GetUtcNow();
        var edited = new ChatMessage(messageId, _log.Messages.Count + 1, ChatRole.User, content, now);
        await AppendAsync(edited, cancellationToken);
        BeginTurnState(edited.Id);
        S.Status = ShadowTaskStatus.Running;
        S.Error = null;
        S.UpdatedAt = now;
        await state.WriteStateAsync(cancellationToken);
        await PublishAsync(Event(TaskEventKind.Rollback) with { MessageId = before?.MessageId, CommitSha = sha },
            Event(TaskEventKind.Message, edited), Event(TaskEventKind.TurnStarted) with { MessageId = edited.Id }, StatusEvent());
        await EnsureTurnReminderAsync();
        StartTurns();
        return edited;
    }

    private void RequireQuiet(string what)
    {
        if (S.Status is ShadowTaskStatus.Initializing or ShadowTaskStatus.Archived || !InitDone)
        {
            throw new TaskConflictException(TaskId, $"Cannot {what}: task '{TaskId}' is {S.Status.ToString().ToLowerInvariant()}.");
        }

        if (S.Turn is not null || S.Queue.Count > 0)
        {
            throw new TaskConflictException(TaskId, $"Cannot {what} while a turn runs: stop it first (POST /api/tasks/{TaskId}/stop).");
        }
    }

    private int IndexOf(string messageId)
    {
        for (var i = 0; i < _log.Messages.Count; i++)
        {
            if (_log.Messages[i].Id == messageId)
            {
                return i;
            }
        }

        throw new InvalidTaskRequestException("messageId", $"Task '{TaskId}' has no message '{messageId}'.");
    }

    // Always through the lease, even when the workspace is at the sha already: a remote that moved is refused either way.
    private Task ResetWorkspaceToAsync(string sha, CancellationToken cancellationToken) => Workspace.ResetBranchAsync(sha, cancellationToken);

    private async Task TruncateAsync(int count, CancellationToken cancellationToken)
    {
        var kept = _log.Messages.Take(count).Select(m => m.Id).ToHashSet(StringComparer.Ordinal);
        await _log.TruncateAsync(count, cancellationToken);
        S.MessageCount = _log.Messages.Count;
        S.Checkpoints.RemoveAll(c => !kept.Contains(c.MessageId));
    }

    private static void CheckContent(string content)
    {
        if (string.IsNullOrWhiteSpace(content))
        {
            throw new InvalidTaskRequestException("content", "A message needs content.");
        }

        if (content.Length > MaxMessageLength)
        {
            throw new InvalidTaskRequestException("content", $"A message may hold at most {MaxMessageLength} characters (this one has {content.Length}).");
        }
    }

    private string NextMessageId() => $"m{S.NextMessageNumber++}";

    private void BeginTurnState(string userMessageId)
    {
        S.Turn = new TurnState { UserMessageId = userMessageId, StartedAt = time.GetUtcNow() };
        S.TurnSteps = 0;
    }

    private async Task AppendAsync(ChatMessage message, CancellationToken cancellationToken)
    {
        await _log.AppendAsync(message, cancellationToken);
        S.MessageCount = _log.Messages.Count;
    }

    // ---- the loop ----

    private void StartTurns()
    {
        if (_turnLoop is { IsCompleted: false })
        {
            _turnsAgain = true;
            return;
        }

        _turnsAgain = false;
        _loop?.Dispose();
        _loop = new CancellationTokenSource();
        _keepAlive ??= this.RegisterGrainTimer(static () => Task.CompletedTask,
            new GrainTimerCreationOptions { DueTime = TimeSpan.FromMinutes(1), Period = TimeSpan.FromMinutes(1), KeepAlive = true, Interleave = true });
        _turnLoop = RunTurnsAsync(_loop.Token);
    }

    private async Task StopTurnLoopAsync()
    {
        if (_loop is { } loop)
        {
            loop.Cancel();
            if (_turnLoop is { } running)
            {
                await running.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Current);
            }
        }
    }

    private async Task RunTurnsAsync(CancellationToken cancellationToken)
    {
        // Leave the calling turn first: each step then runs as its own turns of this grain.
        await Task.CompletedTask.ConfigureAwait(ConfigureAwaitOptions.ContinueOnCapturedContext | ConfigureAwaitOptions.ForceYielding);
        try
        {
            await RunTurnsCoreAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Deactivating: the turn reminder (or the next activation) continues from the last recorded step.
        }
        catch (Exception e)
        {
            // Recording a step failed (storage, the event feed): the turn reminder continues from the last recorded step.
            LogErrorTurnLoop(TaskId, e);
        }
        finally
        {
            if (S.Turn is null && S.Queue.Count == 0)
            {
                _keepAlive?.Dispose();
                _keepAlive = null;
            }

            if (_turnsAgain && !cancellationToken.IsCancellationRequested)
            {
                _turnsAgain = false;
                _turnLoop = RunTurnsAsync(cancellationToken);
            }
        }
    }

    private async Task RunTurnsCoreAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            if (S.Turn is null)
            {
                if (!await BeginQueuedTurnAsync(cancellationToken))
                {
                    await UnregisterTurnReminderAsync();
                    return;
                }

                continue;
            }

            await StepAsync(S.Turn, cancellationToken);
        }
    }

    private async Task<bool> BeginQueuedTurnAsync(CancellationToken cancellationToken)
    {
        if (S.Queue.Count == 0 || !InitDone || S.Status == ShadowTaskStatus.Archived)
        {
            return false;
        }

        var message = S.Queue[0] with { Sequence = _log.Messages.Count + 1 };
        S.Queue.RemoveAt(0);
        await AppendAsync(message, cancellationToken);
        BeginTurnState(message.Id);
        S.Status = ShadowTaskStatus.Running;
        S.Error = null;
        S.UpdatedAt = time.GetUtcNow();
        await state.WriteStateAsync(cancellationToken);
        await PublishAsync(Event(TaskEventKind.Message, message), Event(TaskEventKind.TurnStarted) with { MessageId = message.Id }, StatusEvent());
        return true;
    }

    private async Task StepAsync(TurnState turn, CancellationToken cancellationToken)
    {
        var options = agent.Value;
        if (turn.Ending is { } ending)
        {
            await FinishTurnAsync(turn, ending, cancellationToken);
            return;
        }

        if (turn.StopRequested)
        {
            await EndTurnAsync(new TurnEnding(ShadowTaskStatus.Stopped, turn.StopNote ?? "Stopped by the user.", Notice: true), cancellationToken);
            return;
        }

        var left = turn.StartedAt + options.TurnTimeout - time.GetUtcNow();
        if (left <= TimeSpan.Zero)
        {
            await EndTurnAsync(new TurnEnding(ShadowTaskStatus.Failed,
                $"The turn ran longer than its limit ({options.TurnTimeout}) and was ended (Shadow:Agent:TurnTimeout).", Notice: true), cancellationToken);
            return;
        }

        if (turn.Steps >= options.MaxStepsPerTurn)
        {
            await EndTurnAsync(new TurnEnding(ShadowTaskStatus.Idle,
                $"The turn reached its limit of {options.MaxStepsPerTurn} steps and was ended; send a follow-up to go on (Shadow:Agent:MaxStepsPerTurn).",
                Notice: true), cancellationToken);
            return;
        }

        using var stepTimeout = new CancellationTokenSource(left, time);
        _step = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, stepTimeout.Token);
        try
        {
            if (PendingCall() is { } call)
            {
                await ToolStepAsync(turn, call, _step.Token, cancellationToken);
            }
            else if (_log.Last is { Role: ChatRole.Assistant })
            {
                await EndTurnAsync(new TurnEnding(ShadowTaskStatus.Idle, "The agent answered.", Notice: false), cancellationToken);
            }
            else
            {
                await ModelStepAsync(turn, _step.Token, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Stopped or out of time mid-step: the next step ends the turn (and commits what changed).
        }
        finally
        {
            var step = _step;
            _step = null;
            step.Dispose();
        }
    }

    private ToolCall? PendingCall()
    {
        var messages = _log.Messages;
        for (var i = messages.Count - 1; i >= 0; i--)
        {
            var m = messages[i];
            if (m.Role == ChatRole.Assistant)
            {
                if (m.ToolCalls is not { Count: > 0 } calls)
                {
                    return null;
                }

                var answered = messages.Skip(i + 1).Where(r => r.Role == ChatRole.Tool).Select(r => r.ToolCallId).ToHashSet(StringComparer.Ordinal);
                return calls.FirstOrDefault(c => !answered.Contains(c.Id));
            }

            if (m.Role == ChatRole.User)
            {
                return null;
            }
        }

        return null;
    }

    private async Task ModelStepAsync(TurnState turn, CancellationToken stepToken, CancellationToken loopToken)
    {
        var options = agent.Value;
        var model = S.Model ?? chats.ModelId;
        var chatOptions = new ChatOptions
        {
            Tools = [.. Toolbox.Definitions],
            ToolMode = ChatToolMode.Auto,
            ModelId = string.IsNullOrEmpty(model) ? null : model,
            MaxOutputTokens = options.MaxOutputTokens,
        };
        var history = AgentConversation.Build(_log.Messages);
        var deltas = new StringBuilder();
        var lastFlush = time.GetTimestamp();
        var caller = new ModelCaller(options, time);

        async Task FlushAsync()
        {
            if (deltas.Length > 0)
            {
                var text = deltas.ToString();
                deltas.Clear();
                lastFlush = time.GetTimestamp();
                await PublishAsync(Event(TaskEventKind.TextDelta) with { Text = text });
            }
        }

        ChatResponse response;
        try
        {
            response = await caller.CallAsync(Chat, history, chatOptions,
                async delta =>
                {
                    deltas.Append(delta);
                    if (time.GetElapsedTime(lastFlush) >= DeltaFlushInterval || deltas.Length >= 4096)
                    {
                        await FlushAsync();
                    }
                },
                async (attempt, reason, delay) =>
                {
                    deltas.Clear();
                    LogWarningModelRetry(TaskId, attempt, reason, delay);
                    await PublishAsync(Event(TaskEventKind.Retry) with
                    {
                        Text = string.Create(CultureInfo.InvariantCulture, $"Model call failed ({reason}); retry {attempt} of {options.MaxRetries} in {delay.TotalSeconds:0.0} s."),
                    });
                },
                stepToken);
            await FlushAsync();
        }
        catch (ModelCallFailedException e)
        {
            LogWarningModelFailed(TaskId, e.Message);
            await PublishAsync(Event(TaskEventKind.Error) with { Text = e.Message });
            await EndTurnAsync(new TurnEnding(ShadowTaskStatus.Failed, e.Message + " Send a follow-up to try again.", Notice: true), loopToken);
            return;
        }

        var calls = response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>()
            .Select((c, i) => AgentConversation.ToToolCall(c, turn.Steps * 100 + i)).ToList();
        var input = response.Usage?.InputTokenCount ?? 0;
        var output = response.Usage?.OutputTokenCount ?? 0;
        var usage = new PriceTable(options.Prices).Price(response.ModelId ?? model, input, output);
        var message = new ChatMessage(NextMessageId(), _log.Messages.Count + 1, ChatRole.Assistant, response.Text ?? "", time.GetUtcNow(),
            calls.Count == 0 ? null : calls, Usage: usage);
        await AppendAsync(message, loopToken);
        turn.Steps++;
        S.Usage = S.Usage.Add(usage);
        S.UpdatedAt = message.CreatedAt;
        await state.WriteStateAsync(loopToken);
        await PublishAsync(Event(TaskEventKind.Message, message), Event(TaskEventKind.Usage) with { MessageId = message.Id, Usage = usage });
        await AddUserUsageAsync(usage);
    }

    private async Task ToolStepAsync(TurnState turn, ToolCall call, CancellationToken stepToken, CancellationToken loopToken)
    {
        var options = agent.Value;
        turn.RecentCalls.Add($"{call.Name}\n{call.Arguments}");
        if (turn.RecentCalls.Count > options.LoopDetectionRepeats)
        {
            turn.RecentCalls.RemoveRange(0, turn.RecentCalls.Count - options.LoopDetectionRepeats);
        }

        if (turn.RecentCalls.Count == options.LoopDetectionRepeats && turn.RecentCalls.Distinct(StringComparer.Ordinal).Count() == 1)
        {
            await EndTurnAsync(new TurnEnding(ShadowTaskStatus.Idle,
                $"The agent made the same call {options.LoopDetectionRepeats} times in a row ({call.Name} {Shorten(call.Arguments, 300)}); "
                + "the turn was ended to break the loop. Send a follow-up to go on (Shadow:Agent:LoopDetectionRepeats).", Notice: true), loopToken);
            return;
        }

        await PublishAsync(Event(TaskEventKind.ToolCall) with { ToolCallId = call.Id, ToolName = call.Name, Arguments = call.Arguments });
        ToolResult result;
        if (call.Name == AgentToolNames.RunTerminalCmd && turn.StartedCommandCallId == call.Id)
        {
            result = ToolResult.Error("This command was started, but Shadow restarted before it reported back: it may have run partly or fully. "
                + "Check its effects before running it again.");
        }
        else
        {
            if (call.Name == AgentToolNames.RunTerminalCmd)
            {
                // Recorded before it runs: after a crash it is not run a second time without the model knowing.
                turn.StartedCommandCallId = call.Id;
                await state.WriteStateAsync(loopToken);
            }

            try
            {
                result = await Toolbox.InvokeAsync(call.Name, call.Arguments, stepToken);
            }
            catch (OperationCanceledException) when (!loopToken.IsCancellationRequested)
            {
                result = ToolResult.Error(turn.StopRequested ? "Cancelled: the user stopped the turn." : "Cancelled: the turn ran out of time.");
            }
        }

        var message = new ChatMessage(NextMessageId(), _log.Messages.Count + 1, ChatRole.Tool, result.Content, time.GetUtcNow(),
            ToolCallId: call.Id, IsError: result.IsError, ToolName: call.Name);
        await AppendAsync(message, loopToken);
        turn.Steps++;
        turn.StartedCommandCallId = null;
        if (call.Name == AgentToolNames.TodoWrite)
        {
            S.Todos = [.. Toolbox.Todos];
        }

        S.UpdatedAt = message.CreatedAt;
        await state.WriteStateAsync(loopToken);
        await PublishAsync(Event(TaskEventKind.ToolResult) with
        {
            MessageId = message.Id, ToolCallId = call.Id, ToolName = call.Name, Text = result.Content, IsError = result.IsError,
        });
    }

    /// <summary>Ends the turn: every call the model asked for gets an answer (so the history stays valid), the notice is added,
    /// and the ending is recorded before the commit, so a crash during the commit finishes the turn the same way.</summary>
    private async Task EndTurnAsync(TurnEnding ending, CancellationToken cancellationToken)
    {
        var turn = S.Turn!;
        while (PendingCall() is { } call)
        {
            var skipped = new ChatMessage(NextMessageId(), _log.Messages.Count + 1, ChatRole.Tool, $"Not run: {ending.Reason}", time.GetUtcNow(),
                ToolCallId: call.Id, IsError: true, ToolName: call.Name);
            await AppendAsync(skipped, cancellationToken);
        }

        if (ending.Notice)
        {
            var notice = new ChatMessage(NextMessageId(), _log.Messages.Count + 1, ChatRole.System, ending.Reason, time.GetUtcNow());
            await AppendAsync(notice, cancellationToken);
            await PublishAsync(Event(TaskEventKind.Message, notice));
        }

        turn.Ending = ending;
        await state.WriteStateAsync(cancellationToken);
        await FinishTurnAsync(turn, ending, cancellationToken);
    }

    private async Task FinishTurnAsync(TurnState turn, TurnEnding ending, CancellationToken cancellationToken)
    {
        string? commitError = null;
        try
        {
            var checkpoint = await CommitTurnAsync(cancellationToken);
            if (checkpoint is not null)
            {
                S.Checkpoints.Add(checkpoint);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            commitError = $"Committing the turn's changes failed: {Describe(e)}. They stay in the workspace and are committed after the next turn.";
            LogWarningCommitFailed(TaskId, commitError);
            await PublishAsync(Event(TaskEventKind.Error) with { Text = commitError });
        }

        S.Turn = null;
        S.TurnSteps = turn.Steps;
        S.Status = commitError is null ? ending.Status : ShadowTaskStatus.Failed;
        S.Error = S.Status == ShadowTaskStatus.Failed ? (ending.Status == ShadowTaskStatus.Failed ? ending.Reason : commitError) : null;
        if (S.Queue.Count > 0 && S.Status != ShadowTaskStatus.Archived)
        {
            // The next follow-up starts right away: the task never looks idle in between.
            S.Status = ShadowTaskStatus.Running;
        }
        S.UpdatedAt = time.GetUtcNow();
        await state.WriteStateAsync(cancellationToken);
        LogInformationTurnEnded(TaskId, turn.UserMessageId, S.Status, turn.Steps);
        await PublishAsync(Event(TaskEventKind.TurnEnded) with { MessageId = turn.UserMessageId, Text = ending.Reason }, StatusEvent());
    }

    private async Task<Checkpoint?> CommitTurnAsync(CancellationToken cancellationToken)
    {
        var lastId = _log.Last?.Id;
        if (lastId is null)
        {
            return null;
        }

        var changes = await Workspace.GetTurnChangesAsync(CommitDiffBytes, cancellationToken);
        string? message = null;
        if (changes is not null)
        {
            message = await WriteCommitMessageAsync(changes, cancellationToken);
        }

        // Also pushes a commit a crash left unpushed; a clean, pushed tree makes no commit.
        var commit = await Workspace.CommitTurnAsync(message, cancellationToken);
        if (commit is not null)
        {
            await PublishAsync(Event(TaskEventKind.Commit) with { MessageId = lastId, CommitSha = commit.Sha, Text = commit.Message });
            return new Checkpoint(lastId, commit.Sha, time.GetUtcNow(), Committed: true);
        }

        var info = await GrainFactory.GetGrain<IWorkspaceGrain>(TaskId).GetInfoAsync(cancellationToken);
        return info.HeadSha is { } head ? new Checkpoint(lastId, head, time.GetUtcNow(), Committed: false) : null;
    }

    private async Task<string?> WriteCommitMessageAsync(TurnChanges changes, CancellationToken cancellationToken)
    {
        var model = S.Model ?? chats.ModelId;
        List<Microsoft.Extensions.AI.ChatMessage> request =
        [
            new(Microsoft.Extensions.AI.ChatRole.System,
                "You write git commit messages. Answer with the commit message only: a subject line of at most 72 characters in the "
                + "imperative mood, optionally followed by a blank line and a short body. No quotes, no code fences."),
            new(Microsoft.Extensions.AI.ChatRole.User,
                $"Changed files:\n{changes.Summary}\n\nDiff:\n{changes.Patch}{(changes.Truncated ? "\n[the diff was cut here]" : "")}"),
        ];
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60), time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
            var response = await Chat.GetResponseAsync(request,
                new CommitMessageChatOptions { ModelId = string.IsNullOrEmpty(model) ? null : model, MaxOutputTokens = 300 }, linked.Token);
            var usage = new PriceTable(agent.Value.Prices).Price(response.ModelId ?? model, response.Usage?.InputTokenCount ?? 0, response.Usage?.OutputTokenCount ?? 0);
            S.Usage = S.Usage.Add(usage);
            await AddUserUsageAsync(usage);
            return CommitMessageText.Clean(response.Text);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            // The deterministic summary stands in.
            LogInformationCommitMessageFallback(TaskId, ModelCaller.Describe(e));
            return null;
        }
    }

    private async Task AddUserUsageAsync(UsageTotals usage)
    {
        if (usage.InputTokens == 0 && usage.OutputTokens == 0)
        {
            return;
        }

        try
        {
            await GrainFactory.GetGrain<IUserGrain>(S.OwnerId).AddUsageAsync(usage);
        }
        catch (Exception e)
        {
            LogWarningUsageNotRecorded(TaskId, e.Message);
        }
    }

    // ---- reminders and events ----

    private async Task OnTurnReminderAsync()
    {
        if (S.Created && S.Status != ShadowTaskStatus.Archived && (S.Turn is not null || (S.Queue.Count > 0 && InitDone)))
        {
            StartTurns();
        }
        else
        {
            await UnregisterTurnReminderAsync();
        }
    }

    private async Task EnsureTurnReminderAsync() =>
        await this.RegisterOrUpdateReminder(TurnReminderName, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));

    private Task UnregisterTurnReminderAsync() => UnregisterReminderAsync(TurnReminderName);

    private TaskEvent Event(TaskEventKind kind) => new(0, kind, time.GetUtcNow());

    private TaskEvent Event(TaskEventKind kind, ChatMessage message) =>
        new(0, kind, time.GetUtcNow(), MessageId: message.Id, Role: message.Role, Text: message.Content);

    private TaskEvent StatusEvent() => Event(TaskEventKind.Status) with { Status = S.Status, Text = S.Error };

    private Task PublishStatusAsync() => PublishAsync(StatusEvent());

    private async Task PublishAsync(params TaskEvent[] events)
    {
        try
        {
            await Events.PublishAsync(events);
        }
        catch (Exception e)
        {
            // The feed is for watching; the history is the record. A lost event never stops a turn.
            LogWarningEventsNotPublished(TaskId, e.Message);
        }
    }

    private static string Shorten(string text, int max) => text.Length <= max ? text : string.Concat(text.AsSpan(0, max), "…");

    [LoggerMessage(Level = LogLevel.Information, Message = "Task {TaskId}: follow-up {MessageId} queued ({Count} waiting)")]
    private partial void LogInformationQueued(string taskId, string messageId, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Task {TaskId}: stop requested")]
    private partial void LogInformationStopRequested(string taskId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Task {TaskId} rolled back to message {MessageId} (commit {Sha})")]
    private partial void LogInformationRolledBack(string taskId, string messageId, string sha);

    [LoggerMessage(Level = LogLevel.Information, Message = "Task {TaskId}: the turn for {MessageId} ended {Status} after {Steps} steps")]
    private partial void LogInformationTurnEnded(string taskId, string messageId, ShadowTaskStatus status, int steps);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Task {TaskId}: model call attempt {Attempt} failed ({Reason}); retrying in {Delay}")]
    private partial void LogWarningModelRetry(string taskId, int attempt, string reason, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Task {TaskId}: {Error}")]
    private partial void LogWarningModelFailed(string taskId, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Task {TaskId}: {Error}")]
    private partial void LogWarningCommitFailed(string taskId, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Task {TaskId}: no commit message from the model ({Reason}); using the summary")]
    private partial void LogInformationCommitMessageFallback(string taskId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Task {TaskId}: usage not added to the user's totals: {Error}")]
    private partial void LogWarningUsageNotRecorded(string taskId, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Task {TaskId}: events not published: {Error}")]
    private partial void LogWarningEventsNotPublished(string taskId, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Task {TaskId}: the turn loop stopped on an unexpected error; the turn reminder resumes it")]
    private partial void LogErrorTurnLoop(string taskId, Exception exception);
}
