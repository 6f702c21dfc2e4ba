using System.Diagnostics;
using System.Globalization;
using Shadow.Grains.Abstractions.Workspaces;
using Shadow.Grains.Workspaces;
using Shadow.Sidecar.Contracts.Files;

namespace Shadow.Bench.Agent;

/// <summary>
/// Commit and push of a turn on the task's 200-file workspace: each round writes one 4 KB file through the workspace grain
/// (not timed), then times <see cref="IWorkspaceLifecycleGrain.CommitTurnAsync"/> from the cluster client (git add, commit
/// and push of <c>shadow/task-{id}</c> to the bare remote on disk, through the sidecar). A second row times the task's whole
/// end-of-turn call sequence: <see cref="IWorkspaceLifecycleGrain.GetTurnChangesAsync"/> (status + diff) then the commit.
/// </summary>
internal static class CommitBench
{
    private const string Target = "scratch/write-4k.txt";
    private const int MaxPatchBytes = 48 * 1024; // as TaskGrain asks

    public static async Task RunAsync(SiloHost silo, BenchOptions options, Findings findings, CancellationToken cancellationToken)
    {
        var workspace = silo.Client.GetGrain<IWorkspaceGrain>(StepBench.TaskId);
        var lifecycle = silo.Client.GetGrain<IWorkspaceLifecycleGrain>(StepBench.TaskId);
        var round = 0;

        async Task<string> CommitRoundAsync(bool withChanges, List<long>? ticks)
        {
            round++;
            await workspace.WriteFileAsync(new WriteFileRequest(Target, Content(round)), cancellationToken);
            var start = Stopwatch.GetTimestamp();
            if (withChanges)
            {
                var changes = await lifecycle.GetTurnChangesAsync(MaxPatchBytes, cancellationToken)
                    ?? throw new BenchException($"Round {round}: GetTurnChangesAsync saw no change after writing {Target}.");
                if (!changes.Summary.Contains(Target, StringComparison.Ordinal))
                {
                    throw new BenchException($"Round {round}: the changes do not name {Target}: {changes.Summary}");
                }
            }

            var commit = await lifecycle.CommitTurnAsync("bench commit", cancellationToken)
                ?? throw new BenchException($"Round {round}: CommitTurnAsync made no commit after writing {Target}.");
            ticks?.Add(Stopwatch.GetTimestamp() - start);
            if (commit.FilesChanged != 1)
            {
                throw new BenchException($"Round {round}: the commit changed {commit.FilesChanged} files, expected 1.");
            }

            return commit.Sha;
        }

        Console.WriteLine($"   commit + push: 3 warm-up rounds, then {options.Commits} rounds of each row ...");
        for (var i = 0; i < 3; i++)
        {
            await CommitRoundAsync(withChanges: false, null);
        }

        List<long> commitOnly = [];
        var last = "";
        for (var i = 0; i < options.Commits; i++)
        {
            last = await CommitRoundAsync(withChanges: false, commitOnly);
        }

        findings.AddLatency("commit + push (CommitTurnAsync, 1 file of 200)", "commit.push", Stats.FromTicks([.. commitOnly]), 100);
        await RequireRemoteAtAsync(options.Repo, last, findings);

        List<long> endOfTurn = [];
        try
        {
            for (var i = 0; i < options.Commits; i++)
            {
                last = await CommitRoundAsync(withChanges: true, endOfTurn);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Seen with the Native AOT sidecar: GET /git/diff with any change aborts the sidecar process (see the README).
            findings.Add("  end of turn: GetTurnChangesAsync + CommitTurnAsync", $"failed after {endOfTurn.Count} rounds: {e.GetType().Name}: {Shorten(e.Message)}",
                "works", false);
            return;
        }

        findings.AddLatency("  end of turn: GetTurnChangesAsync + CommitTurnAsync", "commit.endOfTurn", Stats.FromTicks([.. endOfTurn]), null);
        await RequireRemoteAtAsync(options.Repo, last, findings);
    }

    // The pushes really landed: the bare remote's shadow branch is at the last commit.
    private static async Task RequireRemoteAtAsync(string repo, string sha, Findings findings)
    {
        var branch = $"refs/heads/shadow/task-{StepBench.TaskId}";
        var remoteTip = await GitAsync(repo, "rev-parse", branch);
        if (remoteTip != sha)
        {
            throw new BenchException($"The remote's {branch} is at {remoteTip}, not at the last commit {sha}: the push did not land.");
        }

        var count = await GitAsync(repo, "rev-list", "--count", branch);
        findings.Detail($"commit bench: the remote's {branch} is at the last commit {sha[..10]} ({count} commits on the branch)");
    }

    private static string Shorten(string text) => text.Length <= 200 ? text : text[..200] + "…";

    // 4 KB like the sidecar bench's write target, different each round.
    private static string Content(int round) =>
        string.Concat(Enumerable.Range(1, 64).Select(line => string.Create(CultureInfo.InvariantCulture, $"round {round,6} line {line,3} ").PadRight(63, 'x') + "\n"));

    private static async Task<string> GitAsync(string gitDir, params string[] args)
    {
        var psi = new ProcessStartInfo("git") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("--git-dir");
        psi.ArgumentList.Add(gitDir);
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }

        using var git = Process.Start(psi) ?? throw new BenchException("git did not start.");
        var output = await git.StandardOutput.ReadToEndAsync();
        var error = await git.StandardError.ReadToEndAsync();
        await git.WaitForExitAsync();
        return git.ExitCode == 0 ? output.Trim() : throw new BenchException($"git {string.Join(' ', args)} failed: {error.Trim()}");
    }
}
