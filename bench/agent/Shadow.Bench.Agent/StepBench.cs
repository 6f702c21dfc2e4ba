using System.Diagnostics;
using Shadow.Grains.Abstractions.Tasks;

namespace Shadow.Bench.Agent;

/// <summary>
/// Agent overhead per step. The scripted model answers at once, so a model step is the agent's own work (history, the
/// request, the streamed answer, the message page write, the task state write, events), and a <c>todo_write</c> step runs in
/// the toolbox without a sidecar round trip (tool message page write, state write, events). Step times come from the task's
/// event feed: the grain stamps each event when it publishes it, right after the step's writes, so the time between two
/// consecutive step-completion events (an assistant Message, a ToolResult) is one whole step as the grain ran it.
/// </summary>
internal static class StepBench
{
    public const string TaskId = "agent-bench";
    private static readonly TimeSpan TurnTimeout = TimeSpan.FromMinutes(10);

    public static async Task<IReadOnlyList<TurnRun>> RunAsync(SiloHost silo, BenchOptions options, Findings findings, CancellationToken cancellationToken)
    {
        var client = silo.Client;
        var task = client.GetGrain<ITaskGrain>(TaskId);
        await using var recorder = new EventRecorder(client, TaskId);
        var store = new StoreReader(silo.DataDir);

        Console.WriteLine($"   create the task on {options.Repo} (init: spawn the sidecar, clone 200 files, shadow branch) + warm-up turn ...");
        var created = Stopwatch.StartNew();
        await task.CreateAsync(new CreateTaskCommand("bench", options.Repo, "main", "Warm up: plan the work."), cancellationToken);
        await recorder.WaitForAsync(p => p.TurnsEnded >= 1, TurnTimeout, "the warm-up turn to end");
        await RequireIdleAsync(task, "warm-up");
        findings.Detail($"create + init + warm-up turn ({options.WarmupSteps} todo_write): {created.Elapsed.TotalMilliseconds:0} ms");

        Console.WriteLine($"   measured turn: {options.Steps} todo_write ...");
        var todo = await RunTurnAsync("todo_write turn", task, recorder, store, 2, "Keep the todo list up to date.", (2 * options.Steps) + 1, cancellationToken);
        Console.WriteLine($"   sidecar turn: {options.ReadSteps} read_file ...");
        var read = await RunTurnAsync("read_file turn", task, recorder, store, 3, "Read the data file.", (2 * options.ReadSteps) + 1, cancellationToken);
        Report(todo, read, findings);
        return [todo, read];
    }

    /// <summary>
    /// The last turn: one edit_file, so the turn's end really commits: GetTurnChangesAsync (status + diff), the commit message
    /// from the model, CommitTurnAsync (commit + push), state and events. Timed from the last step's event to TurnEnded.
    /// </summary>
    public static async Task RunCommitTurnAsync(SiloHost silo, Findings findings, CancellationToken cancellationToken)
    {
        var client = silo.Client;
        var task = client.GetGrain<ITaskGrain>(TaskId);
        await using var recorder = new EventRecorder(client, TaskId);
        var before = await recorder.WaitForAsync(p => p.TurnsEnded >= 3, TurnTimeout, "the earlier turns' events");
        Console.WriteLine("   commit turn: 1 edit_file, then the turn's end commits and pushes ...");
        var turn = TurnsEnded(before) + 1;
        await task.PostMessageAsync("Update the scratch file.", cancellationToken);
        var events = await recorder.WaitForAsync(p => p.TurnsEnded >= turn, TurnTimeout, "the commit turn to end");
        var slice = TurnSlice(events, turn);
        var last = slice.Last(IsCompletion);
        var endMs = (slice[^1].Event.At - last.Event.At).TotalMilliseconds;
        var commit = slice.FirstOrDefault(e => e.Event.Kind == TaskEventKind.Commit);
        var snapshot = await task.GetAsync(cancellationToken);
        if (snapshot.Status == ShadowTaskStatus.Idle && commit is not null)
        {
            findings.Add("end of an agent turn with 1 changed file (last step -> TurnEnded)", $"{endMs:0.0} ms (n=1: changes, commit message, commit + push, state)",
                "-", null);
            findings.Numbers["commitTurn.endMs"] = endMs;
        }
        else
        {
            findings.Add("end of an agent turn with 1 changed file (last step -> TurnEnded)",
                $"turn ended {snapshot.Status}, no commit: {snapshot.Error}", "commits", false);
        }
    }

    private static async Task<TurnRun> RunTurnAsync(string label, ITaskGrain task, EventRecorder recorder, StoreReader store, int turn, string prompt,
        int expectedSteps, CancellationToken cancellationToken)
    {
        List<long> taskStateBytes = [];
        var io = IoCounters.Read();
        var allocated = GC.GetTotalAllocatedBytes(precise: false);
        var (g0, g1, g2) = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
        var start = Stopwatch.GetTimestamp();
        var sampler = SampleTaskStateAsync(recorder, store, turn, expectedSteps, taskStateBytes);
        await task.PostMessageAsync(prompt, cancellationToken);
        var events = await recorder.WaitForAsync(p => p.TurnsEnded >= turn, TurnTimeout, $"the {label} to end");
        var ioDelta = IoCounters.Delta(io, IoCounters.Read());
        var allocatedDelta = GC.GetTotalAllocatedBytes(precise: false) - allocated;
        var collections = (GC.CollectionCount(0) - g0, GC.CollectionCount(1) - g1, GC.CollectionCount(2) - g2);
        await sampler;
        await RequireIdleAsync(task, label);

        var slice = TurnSlice(events, turn);
        var started = slice.FirstOrDefault(e => e.Event.Kind == TaskEventKind.TurnStarted)
            ?? throw new BenchException($"The {label} published no TurnStarted event.");
        var ended = slice[^1];
        var completions = slice.Where(IsCompletion).ToList();
        if (completions.Count != expectedSteps)
        {
            throw new BenchException($"The {label} took {completions.Count} steps, expected {expectedSteps} (did the script replay from the right place?).");
        }

        List<StepSample> steps = [];
        for (var i = 1; i < completions.Count; i++)
        {
            var e = completions[i].Event;
            steps.Add(new StepSample(i, e.Kind == TaskEventKind.ToolResult ? e.ToolName ?? "?" : null, e.MessageId ?? "?",
                (e.At - completions[i - 1].Event.At).TotalMilliseconds));
        }

        return new TurnRun(
            label,
            steps,
            (completions[0].Event.At - started.Event.At).TotalMilliseconds,
            (ended.Event.At - completions[^1].Event.At).TotalMilliseconds,
            Stopwatch.GetElapsedTime(start, completions[^1].ReceivedAt).TotalMilliseconds,
            completions.Count,
            ioDelta,
            allocatedDelta,
            collections,
            taskStateBytes);
    }

    // Reads the task row's size a few times while the turn runs (about eight reads, off the grain's path).
    private static async Task SampleTaskStateAsync(EventRecorder recorder, StoreReader store, int turn, int expectedSteps, List<long> samples)
    {
        var every = Math.Max(1, expectedSteps / 8);
        var next = every;
        while (true)
        {
            var ended = false;
            await recorder.WaitForAsync(p => (ended = p.TurnsEnded >= turn) || p.CompletionsIn(turn) >= next, TurnTimeout, "a step");
            if (ended)
            {
                return;
            }

            samples.Add(store.TaskStateBytes(TaskId));
            next += every;
        }
    }

    private static void Report(TurnRun todo, TurnRun read, Findings findings)
    {
        var all = Stats.FromMs(todo.Steps.Select(s => s.Ms));
        findings.AddLatency("agent step overhead, all steps (todo_write turn)", "step.all", all, 5);
        findings.AddLatency("  model steps (scripted model, instant)", "step.model", Stats.FromMs(todo.Steps.Where(s => s.IsModel).Select(s => s.Ms)), null);
        findings.AddLatency("  tool steps (todo_write, no sidecar)", "step.tool", Stats.FromMs(todo.Steps.Where(s => !s.IsModel).Select(s => s.Ms)), null);
        var quarter = Math.Max(1, todo.Steps.Count / 4);
        var early = Stats.FromMs(todo.Steps.Take(quarter).Select(s => s.Ms));
        var late = Stats.FromMs(todo.Steps.TakeLast(quarter).Select(s => s.Ms));
        findings.AddLatency("  first quarter of the turn's steps", "step.firstQuarter", early, null);
        findings.AddLatency("  last quarter (longer history)", "step.lastQuarter", late, null);
        // Does the growing history cost? p50 per quarter of the turn, model and tool steps apart.
        var quarters = Enumerable.Range(0, 4).Select(q => todo.Steps.Skip(q * quarter).Take(quarter).ToList()).ToList();
        findings.Detail("todo_write turn: p50 by quarter of the turn (model / tool steps): " + string.Join("; ", quarters.Select((q, i) =>
            $"q{i + 1} {Stats.FromMs(q.Where(s => s.IsModel).Select(s => s.Ms)).P50Ms:0.00} / {Stats.FromMs(q.Where(s => !s.IsModel).Select(s => s.Ms)).P50Ms:0.00} ms")));
        var readSteps = read.Steps.Where(s => s.ToolName == "read_file").Select(s => s.Ms);
        findings.AddLatency("step incl. sidecar: read_file 4 KB tool steps", "step.readFile", Stats.FromMs(readSteps), null);
        findings.AddLatency("  model steps of that turn", "step.readTurnModel", Stats.FromMs(read.Steps.Where(s => s.IsModel).Select(s => s.Ms)), null);

        foreach (var run in new[] { todo, read })
        {
            var n = run.StepCount;
            findings.Detail($"{run.Label}: {n} steps; first step (from TurnStarted, incl. the turn reminder write) {run.FirstStepMs:0.00} ms; "
                + $"turn end (last step -> TurnEnded) {run.EndMs:0.0} ms");
            findings.Detail($"{run.Label}: cross-check, client wall clock PostMessage -> last step received / steps = {run.ClientWallMs / n:0.00} ms "
                + $"(event mean {run.Steps.Average(s => s.Ms):0.00} ms)");
            findings.Detail($"{run.Label}: allocated {run.AllocatedBytes / (double)n / 1024:0.0} KiB per step (whole process); "
                + $"GCs gen0/1/2 {run.Collections.Gen0}/{run.Collections.Gen1}/{run.Collections.Gen2}");
            findings.Numbers[$"{Key(run)}.clientWallPerStepMs"] = run.ClientWallMs / n;
            findings.Numbers[$"{Key(run)}.turnEndMs"] = run.EndMs;
            findings.Numbers[$"{Key(run)}.allocatedPerStepBytes"] = run.AllocatedBytes / (double)n;
        }

        findings.Numbers["step.readTurn.editFileMs"] = read.Steps.Where(s => s.ToolName == "edit_file").Select(s => s.Ms).DefaultIfEmpty(0).First();
    }

    public static string Key(TurnRun run) => run.Label.StartsWith("todo", StringComparison.Ordinal) ? "todoTurn" : "readTurn";

    private static bool IsCompletion(ReceivedEvent e) => EventRecorder.IsCompletion(e.Event);

    private static int TurnsEnded(IReadOnlyList<ReceivedEvent> events) => events.Count(e => e.Event.Kind == TaskEventKind.TurnEnded);

    /// <summary>The events of the <paramref name="turn"/>-th turn (1-based): after the previous TurnEnded, up to its own (included when there).</summary>
    private static List<ReceivedEvent> TurnSlice(IReadOnlyList<ReceivedEvent> events, int turn)
    {
        var ends = 0;
        List<ReceivedEvent> slice = [];
        foreach (var e in events)
        {
            if (ends == turn - 1)
            {
                slice.Add(e);
            }

            if (e.Event.Kind == TaskEventKind.TurnEnded && ++ends == turn)
            {
                break;
            }
        }

        return slice;
    }

    private static async Task RequireIdleAsync(ITaskGrain task, string what)
    {
        var snapshot = await task.GetAsync();
        if (snapshot.Status != ShadowTaskStatus.Idle)
        {
            throw new BenchException($"After the {what} the task is {snapshot.Status}, not Idle: {snapshot.Error}");
        }
    }
}
