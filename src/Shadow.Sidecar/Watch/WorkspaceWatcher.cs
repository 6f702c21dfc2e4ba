using System.Threading.Channels;
using Shadow.Sidecar.Contracts.Watch;
using Shadow.Sidecar.Hosting;
using Shadow.Sidecar.Security;

namespace Shadow.Sidecar.Watch;

/// <summary>
/// Watches the workspace root (recursive <see cref="FileSystemWatcher"/>), drops <c>.git</c> and the configured build-output
/// folders, debounces per path and records the result in the <see cref="WatchEventLog"/>. The watcher's callback only
/// enqueues (never blocks); one loop merges bursts and records them once a path has been quiet for the debounce window.
/// </summary>
internal sealed partial class WorkspaceWatcher : IHostedService, IDisposable
{
    private const int RawQueueSize = 65_536;
    private const int MaxScanEntries = 10_000;

    private readonly string _root;
    private readonly WatchOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<WorkspaceWatcher> _logger;
    private readonly HashSet<string> _ignored;
    private readonly Channel<RawEvent> _raw = Channel.CreateBounded<RawEvent>(
        new BoundedChannelOptions(RawQueueSize) { SingleReader = true, SingleWriter = false, FullMode = BoundedChannelFullMode.Wait });
    private readonly Lock _stateLock = new();
    private readonly CancellationTokenSource _stopping = new();
    private FileSystemWatcher? _watcher;
    private Task _loop = Task.CompletedTask;
    private volatile bool _paused;
    private int _lostEvents;

    public WorkspaceWatcher(PathGuard guard, SidecarOptions options, TimeProvider time, ILogger<WorkspaceWatcher> logger)
    {
        _root = guard.Root;
        _options = options.Watch;
        _time = time;
        _logger = logger;
        IgnoredFolders = _options.EffectiveIgnoredFolders;
        _ignored = new HashSet<string>(IgnoredFolders, StringComparer.Ordinal);
        Log = new WatchEventLog(_options.MaxEvents, _options.SubscriberQueueSize, time);
    }

    public WatchEventLog Log { get; }

    public IReadOnlyList<string> IgnoredFolders { get; }

    public bool Paused => _paused;

    public bool Watching
    {
        get
        {
            lock (_stateLock)
            {
                return _watcher is { EnableRaisingEvents: true };
            }
        }
    }

    public WatchStatusResponse Status()
    {
        var (count, oldest) = Log.Stats();
        return new WatchStatusResponse(Watching, _paused, Log.LastSeq, count, oldest, _options.DebounceMilliseconds, IgnoredFolders);
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!_options.Enabled)
        {
            return Task.CompletedTask;
        }

        lock (_stateLock)
        {
            _watcher = new FileSystemWatcher(_root)
            {
                IncludeSubdirectories = true,
                NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size,
                InternalBufferSize = _options.InternalBufferSize,
            };
            _watcher.Created += (_, e) => Post(WatchEventKind.Created, e.FullPath);
            _watcher.Changed += (_, e) => Post(WatchEventKind.Modified, e.FullPath);
            _watcher.Deleted += (_, e) => Post(WatchEventKind.Deleted, e.FullPath);
            _watcher.Renamed += (_, e) => PostRename(e.OldFullPath, e.FullPath);
            _watcher.Error += (_, e) => OnError(e.GetException());
            _watcher.EnableRaisingEvents = true;
        }

        _loop = Task.Run(() => RunAsync(_stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        lock (_stateLock)
        {
            _watcher?.Dispose();
            _watcher = null;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        _raw.Writer.TryComplete();
        try
        {
            await _loop.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    public void Dispose()
    {
        _watcher?.Dispose();
        _stopping.Dispose();
    }

    /// <summary>Stops recording: the watcher is switched off, so nothing that happens while paused is reported.</summary>
    public WatchStatusResponse Pause()
    {
        lock (_stateLock)
        {
            _paused = true;
            if (_watcher is not null)
            {
                _watcher.EnableRaisingEvents = false;
            }
        }

        return Status();
    }

    public WatchStatusResponse Resume()
    {
        lock (_stateLock)
        {
            if (_watcher is not null && !_watcher.EnableRaisingEvents)
            {
                _watcher.EnableRaisingEvents = true;
            }

            _paused = false;
        }

        return Status();
    }

    // ---- the watcher's callbacks: classify and enqueue, never block ----

    private void Post(WatchEventKind kind, string fullPath)
    {
        if (_paused || Relative(fullPath) is not { } path || IsIgnored(path))
        {
            return;
        }

        Enqueue(new RawEvent(kind, path, null));
    }

    private void PostRename(string oldFullPath, string fullPath)
    {
        if (_paused)
        {
            return;
        }

        var oldPath = Relative(oldFullPath);
        var path = Relative(fullPath);
        var oldVisible = oldPath is not null && !IsIgnored(oldPath);
        var newVisible = path is not null && !IsIgnored(path);
        if (oldVisible && newVisible)
        {
            Enqueue(new RawEvent(WatchEventKind.Renamed, path!, oldPath));
        }
        else if (newVisible)
        {
            Enqueue(new RawEvent(WatchEventKind.Created, path!, null));
        }
        else if (oldVisible)
        {
            Enqueue(new RawEvent(WatchEventKind.Deleted, oldPath!, null));
        }
    }

    private void OnError(Exception exception)
    {
        if (exception is InternalBufferOverflowException)
        {
            LogWarningOverflow();
        }
        else
        {
            LogErrorWatcher(exception);
        }

        Interlocked.Exchange(ref _lostEvents, 1);
        _raw.Writer.TryWrite(RawEvent.Wake);
    }

    private void Enqueue(RawEvent raw)
    {
        if (!_raw.Writer.TryWrite(raw))
        {
            Interlocked.Exchange(ref _lostEvents, 1);
        }
    }

    private string? Relative(string fullPath)
    {
        if (fullPath.Length <= _root.Length + 1 || !fullPath.StartsWith(_root, StringComparison.Ordinal) || fullPath[_root.Length] != '/')
        {
            return null;
        }

        return fullPath[(_root.Length + 1)..];
    }

    /// <summary>Whether any folder on the path (or the path itself) is an ignored folder name.</summary>
    internal bool IsIgnored(string relativePath)
    {
        // The files API's own temp files are an implementation detail: its rename into place reports the real path.
        var leaf = relativePath.AsSpan(relativePath.LastIndexOf('/') + 1);
        if (leaf.StartsWith(Files.AtomicFile.TempPrefix, StringComparison.Ordinal))
        {
            return true;
        }

        var lookup = _ignored.GetAlternateLookup<ReadOnlySpan<char>>();
        foreach (var range in relativePath.AsSpan().Split('/'))
        {
            if (lookup.Contains(relativePath.AsSpan()[range]))
            {
                return true;
            }
        }

        return false;
    }

    // ---- the debounce loop ----

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var pending = new Dictionary<string, Pending>(StringComparer.Ordinal);
        var debounce = TimeSpan.FromMilliseconds(_options.DebounceMilliseconds);
        var maxDelay = debounce * 20;
        long order = 0;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                if (pending.Count == 0)
                {
                    if (!await _raw.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        return;
                    }
                }
                else
                {
                    var now = _time.GetUtcNow();
                    var due = pending.Values.Min(p => p.Due(debounce, maxDelay));
                    if (due > now)
                    {
                        await Task.Delay(due - now, _time, cancellationToken).ConfigureAwait(false);
                    }
                }

                var at = _time.GetUtcNow();
                while (_raw.Reader.TryRead(out var raw))
                {
                    if (raw.Path.Length > 0)
                    {
                        Merge(pending, raw, at, ref order);
                        if (raw.Kind == WatchEventKind.Created)
                        {
                            ScanNewDirectory(pending, raw.Path, at, ref order);
                        }
                    }
                }

                if (Interlocked.Exchange(ref _lostEvents, 0) == 1)
                {
                    Flush(pending, DateTimeOffset.MaxValue, debounce, maxDelay);
                    Log.Append(WatchEventKind.Rescan, string.Empty, null);
                    continue;
                }

                Flush(pending, _time.GetUtcNow(), debounce, maxDelay);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
        catch (Exception e)
        {
            LogErrorLoop(e);
            throw;
        }
    }

    private static void Merge(Dictionary<string, Pending> pending, RawEvent raw, DateTimeOffset now, ref long order)
    {
        if (raw.Kind == WatchEventKind.Renamed)
        {
            MergeRename(pending, raw.OldPath!, raw.Path, now, ref order);
            return;
        }

        if (!pending.TryGetValue(raw.Path, out var existing))
        {
            pending[raw.Path] = new Pending(raw.Kind, null, now, ++order);
            return;
        }

        existing.LastSeen = now;
        switch (existing.Kind, raw.Kind)
        {
            case (WatchEventKind.Created, WatchEventKind.Deleted):
                // Came and went within the window (an editor's temp file): nothing to report.
                pending.Remove(raw.Path);
                break;
            case (WatchEventKind.Renamed, WatchEventKind.Deleted):
                // Moved, then deleted: net effect, the original went away.
                pending.Remove(raw.Path);
                pending[existing.OldPath!] = new Pending(WatchEventKind.Deleted, null, existing.FirstSeen, existing.Order) { LastSeen = now };
                break;
            case (WatchEventKind.Created or WatchEventKind.Renamed, _):
                // A create (or move) followed by writes stays what it was.
                break;
            case (WatchEventKind.Deleted, WatchEventKind.Created or WatchEventKind.Modified):
                existing.Kind = WatchEventKind.Modified;
                break;
            case (_, WatchEventKind.Deleted):
                existing.Kind = WatchEventKind.Deleted;
                break;
            default:
                break;
        }
    }

    /// <summary>
    /// The watcher only sees a new folder's entries once it has added a watch for it; whatever was created inside before that
    /// (<c>mkdir -p a/b &amp;&amp; touch a/b/c</c>, a copied or moved-in tree) is reported here as created. Links are not followed.
    /// </summary>
    private void ScanNewDirectory(Dictionary<string, Pending> pending, string path, DateTimeOffset now, ref long order)
    {
        var root = new DirectoryInfo(Path.Combine(_root, path));
        if (!root.Exists || root.LinkTarget is not null)
        {
            return;
        }

        var stack = new Stack<(DirectoryInfo Dir, string Relative)>();
        stack.Push((root, path));
        var seen = 0;
        var options = new EnumerationOptions { RecurseSubdirectories = false, IgnoreInaccessible = true, AttributesToSkip = 0 };
        while (stack.Count > 0)
        {
            var (dir, relative) = stack.Pop();
            IEnumerable<FileSystemInfo> entries;
            try
            {
                entries = dir.EnumerateFileSystemInfos("*", options).ToList();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }

            foreach (var entry in entries)
            {
                if (_ignored.Contains(entry.Name))
                {
                    continue;
                }

                if (++seen > MaxScanEntries)
                {
                    Interlocked.Exchange(ref _lostEvents, 1);
                    return;
                }

                var entryPath = relative + "/" + entry.Name;
                if (!pending.ContainsKey(entryPath))
                {
                    pending[entryPath] = new Pending(WatchEventKind.Created, null, now, ++order);
                }

                if (entry is DirectoryInfo { LinkTarget: null } sub)
                {
                    stack.Push((sub, entryPath));
                }
            }
        }
    }

    private static void MergeRename(Dictionary<string, Pending> pending, string oldPath, string path, DateTimeOffset now, ref long order)
    {
        pending.TryGetValue(oldPath, out var fromOld);
        pending.Remove(oldPath);
        pending.TryGetValue(path, out var atNew);
        var replaced = atNew?.Kind == WatchEventKind.Deleted;
        Pending next;
        if (fromOld?.Kind == WatchEventKind.Created)
        {
            // A file written under a temporary name and moved into place.
            next = new Pending(replaced ? WatchEventKind.Modified : WatchEventKind.Created, null, fromOld.FirstSeen, fromOld.Order);
        }
        else if (fromOld?.Kind == WatchEventKind.Renamed)
        {
            next = string.Equals(fromOld.OldPath, path, StringComparison.Ordinal)
                ? new Pending(WatchEventKind.Modified, null, fromOld.FirstSeen, fromOld.Order)
                : new Pending(WatchEventKind.Renamed, fromOld.OldPath, fromOld.FirstSeen, fromOld.Order);
        }
        else
        {
            next = new Pending(WatchEventKind.Renamed, oldPath, now, ++order);
        }

        next.LastSeen = now;
        pending[path] = next;
    }

    private void Flush(Dictionary<string, Pending> pending, DateTimeOffset now, TimeSpan debounce, TimeSpan maxDelay)
    {
        if (pending.Count == 0)
        {
            return;
        }

        var ready = pending.Where(p => p.Value.Due(debounce, maxDelay) <= now).OrderBy(p => p.Value.Order).ToList();
        foreach (var (path, item) in ready)
        {
            pending.Remove(path);
            // Folders change when their entries do; those changes are reported for the entries themselves.
            if (item.Kind == WatchEventKind.Modified && Directory.Exists(Path.Combine(_root, path)))
            {
                continue;
            }

            Log.Append(item.Kind, path, item.OldPath);
        }
    }

    private readonly record struct RawEvent(WatchEventKind Kind, string Path, string? OldPath)
    {
        public static RawEvent Wake { get; } = new(WatchEventKind.Rescan, string.Empty, null);
    }

    private sealed class Pending(WatchEventKind kind, string? oldPath, DateTimeOffset firstSeen, long order)
    {
        public WatchEventKind Kind { get; set; } = kind;

        public string? OldPath { get; } = oldPath;

        public DateTimeOffset FirstSeen { get; } = firstSeen;

        public DateTimeOffset LastSeen { get; set; } = firstSeen;

        public long Order { get; } = order;

        public DateTimeOffset Due(TimeSpan debounce, TimeSpan maxDelay)
        {
            var quiet = LastSeen + debounce;
            var latest = FirstSeen + maxDelay;
            return quiet < latest ? quiet : latest;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The file system watcher's buffer overflowed; clients are told to rescan")]
    private partial void LogWarningOverflow();

    [LoggerMessage(Level = LogLevel.Error, Message = "The file system watcher failed; clients are told to rescan")]
    private partial void LogErrorWatcher(Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "The watch loop failed")]
    private partial void LogErrorLoop(Exception exception);
}
