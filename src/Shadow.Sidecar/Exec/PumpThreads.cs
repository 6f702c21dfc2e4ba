namespace Shadow.Sidecar.Exec;

/// <summary>
/// Dedicated threads for the blocking pipe reads of commands (never thread-pool threads), kept for a while after their
/// read is done so the next command does not pay for creating two threads.
/// </summary>
internal static class PumpThreads
{
    private const int MaxIdle = 64;
    private static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(30);
    private static readonly Lock Gate = new();
    private static readonly List<Worker> Idle = [];

    /// <summary>Runs <paramref name="work"/> on an idle pump thread, or on a new one.</summary>
    public static void Run(Action work, string name)
    {
        Worker? worker = null;
        lock (Gate)
        {
            if (Idle.Count > 0)
            {
                worker = Idle[^1];
                Idle.RemoveAt(Idle.Count - 1);
            }
        }

        if (worker is null)
        {
            worker = new Worker(work);
            var thread = new Thread(worker.Loop, maxStackSize: 256 * 1024) { IsBackground = true, Name = name };
            thread.Start();
        }
        else
        {
            worker.Assign(work);
        }
    }

    private sealed class Worker(Action first)
    {
        // No spinning before blocking: SemaphoreSlim's spin-wait burnt more CPU than the reads themselves.
        private readonly ManualResetEventSlim _wake = new(false, spinCount: 0);
        private Action? _work = first;

        public void Assign(Action work)
        {
            Volatile.Write(ref _work, work);
            _wake.Set();
        }

        public void Loop()
        {
            while (true)
            {
                var work = Interlocked.Exchange(ref _work, null);
                work?.Invoke();
                lock (Gate)
                {
                    if (Idle.Count >= MaxIdle)
                    {
                        return;
                    }

                    Idle.Add(this);
                }

                while (!_wake.Wait(IdleTimeout))
                {
                    lock (Gate)
                    {
                        // Still idle: nobody can hand it work any more once it is out of the list.
                        if (Idle.Remove(this))
                        {
                            return;
                        }
                    }

                    // Taken just as the wait timed out: its work is on the way.
                }

                _wake.Reset();
            }
        }
    }
}
