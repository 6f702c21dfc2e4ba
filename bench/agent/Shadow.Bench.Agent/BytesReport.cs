using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Shadow.Grains.Abstractions.Tasks;

namespace Shadow.Bench.Agent;

/// <summary>
/// Bytes written per step (design section 2: what a step writes stays small and does not grow with the history). A step
/// rewrites two rows of <c>grain_state</c>: the task's <c>task</c> row (status, cursor, todos) and the history page the new
/// message lands in (<c>messages-{n}</c>, 16 messages a page). Sizes come from the store itself; see <see cref="Report"/>.
/// </summary>
internal static class BytesReport
{
    private const int PageSize = 16;

    public static async Task ReportAsync(SiloHost silo, IReadOnlyList<TurnRun> turns, Findings findings, CancellationToken cancellationToken)
    {
        var store = new StoreReader(silo.DataDir);
        var rows = store.Rows(StepBench.TaskId);
        var messages = await silo.Client.GetGrain<ITaskGrain>(StepBench.TaskId).GetMessagesAsync(cancellationToken);
        var serializer = silo.Services.GetRequiredService<Serializer>();
        Report(rows, messages, serializer, turns, findings);
    }

    /// <summary>
    /// Per step = the task row (sampled from the store while the turn ran) + the page as that step wrote it. The page as
    /// written is the final page cut to the messages it held at that step, serialized with the silo's own serializer, plus
    /// the measured difference between a stored full page and the serialized message list (the page record's own framing).
    /// Also printed: the simpler estimate task row + average stored page, and the bytes this process handed to write
    /// syscalls over the turn (SQLite's WAL, 4 KiB database pages plus frame headers, fsync'd: synchronous=FULL) per step.
    /// </summary>
    private static void Report(IReadOnlyList<StateRow> rows, IReadOnlyList<ChatMessage> messages, Serializer serializer, IReadOnlyList<TurnRun> turns, Findings findings)
    {
        var pages = StoreReader.Pages(rows);
        foreach (var group in rows.Where(r => !r.StateName.StartsWith("messages-", StringComparison.Ordinal)))
        {
            findings.Detail($"store row {group.GrainType}/{group.StateName}: {group.PayloadBytes:N0} B");
        }

        findings.Detail($"store rows messages-0..{pages.Count - 1}: {pages.Count} pages for {messages.Count} messages, "
            + $"full pages {Mean(pages.Where(p => (p.Key + 1) * PageSize <= messages.Count).Select(p => (double)p.Value)):N0} B on average, "
            + $"smallest {pages.Values.DefaultIfEmpty(0).Min():N0} B, largest {pages.Values.DefaultIfEmpty(0).Max():N0} B");

        // The page record's framing around its message list, from the full pages (the same for every page).
        List<long> framing = [];
        foreach (var (page, bytes) in pages)
        {
            if ((page + 1) * PageSize <= messages.Count)
            {
                framing.Add(bytes - serializer.SerializeToArray(messages.Skip(page * PageSize).Take(PageSize).ToList()).Length);
            }
        }

        var frame = framing.Count == 0 ? 0 : framing.Order().ElementAt(framing.Count / 2);
        findings.Detail($"page framing (stored full page minus its serialized messages): {frame} B, from {framing.Count} full pages"
            + (framing.Count > 0 ? $" (range {framing.Min()}..{framing.Max()} B)" : ""));
        var bySequence = messages.Select((m, i) => (m, i)).ToDictionary(p => p.m.Id, p => p.i, StringComparer.Ordinal);
        long PageAsWritten(int index)
        {
            var first = index / PageSize * PageSize;
            return serializer.SerializeToArray(messages.Skip(first).Take(index - first + 1).ToList()).Length + frame;
        }

        foreach (var run in turns)
        {
            var key = StepBench.Key(run);
            var taskRow = run.TaskStateBytes.Count > 0 ? run.TaskStateBytes.Average() : rows.Where(r => r.StateName == "task").Sum(r => r.PayloadBytes);
            var perStep = run.Steps
                .Where(s => bySequence.ContainsKey(s.MessageId))
                .Select(s => (s.IsModel, Bytes: taskRow + PageAsWritten(bySequence[s.MessageId])))
                .ToList();
            if (perStep.Count == 0)
            {
                findings.Errors.Add($"{run.Label}: no step message found in the history for the bytes estimate.");
                continue;
            }

            var turnPages = run.Steps.Where(s => bySequence.ContainsKey(s.MessageId)).Select(s => bySequence[s.MessageId] / PageSize).Distinct()
                .Where(pages.ContainsKey).Select(p => (double)pages[p]);
            var simple = taskRow + Mean(turnPages);
            var mean = perStep.Average(s => s.Bytes);
            var quarter = Math.Max(1, perStep.Count / 4);
            findings.Add($"bytes written per step, {run.Label}", $"{mean:N0} B (task row {taskRow:N0} B + page as written; model {Mean(perStep.Where(s => s.IsModel).Select(s => s.Bytes)):N0} / tool {Mean(perStep.Where(s => !s.IsModel).Select(s => s.Bytes)):N0} B)",
                "small, bounded", null);
            findings.Detail($"{run.Label}: task row while running {run.TaskStateBytes.DefaultIfEmpty(0).Min():N0}..{run.TaskStateBytes.DefaultIfEmpty(0).Max():N0} B "
                + $"({run.TaskStateBytes.Count} samples); simple estimate task row + average page of the turn = {simple:N0} B; "
                + $"first/last quarter of the steps {perStep.Take(quarter).Average(s => s.Bytes):N0} / {perStep.TakeLast(quarter).Average(s => s.Bytes):N0} B");
            findings.Numbers[$"{key}.bytesPerStep"] = mean;
            findings.Numbers[$"{key}.bytesPerStepSimple"] = simple;
            findings.Numbers[$"{key}.taskRowBytes"] = taskRow;
            if (run.Io is { } io)
            {
                var n = run.StepCount;
                findings.Add($"  bytes to write syscalls per step, {run.Label}", $"{io.WriteChars / (double)n:N0} B ({io.WriteCalls / (double)n:0.0} writes; block layer {io.WriteBytes / (double)n:N0} B)",
                    "-", null);
                findings.Numbers[$"{key}.wcharPerStep"] = io.WriteChars / (double)n;
                findings.Numbers[$"{key}.syscwPerStep"] = io.WriteCalls / (double)n;
                findings.Numbers[$"{key}.writeBytesPerStep"] = io.WriteBytes / (double)n;
            }
        }
    }

    private static double Mean(IEnumerable<double> values)
    {
        var list = values.ToList();
        return list.Count == 0 ? 0 : list.Average();
    }
}
