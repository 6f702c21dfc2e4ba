using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Shadow.Kubernetes.Simulation;

/// <summary>
/// The simulated API server's storage (a simulation of etcd behind kube-apiserver): objects as JSON, one cluster-wide
/// monotonically increasing resourceVersion, a bounded event log for watches to resume from (older versions answer 410
/// Expired, as the real server does once etcd compacted them), live subscribers, and the owner-reference garbage collector.
/// </summary>
public sealed partial class ObjectStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<ResourceKey, JsonObject> _objects = [];
    private readonly LinkedList<StoredEvent> _log = new();
    private readonly List<Action<StoredEvent>> _subscribers = [];
    private readonly int _logCapacity;
    private long _version = 1000;

    public ObjectStore(int logCapacity = 1000) => _logCapacity = logCapacity;

    /// <summary>The current resourceVersion.</summary>
    public long ResourceVersion
    {
        get
        {
            lock (_gate)
            {
                return _version;
            }
        }
    }

    /// <summary>The oldest resourceVersion a watch can still resume after.</summary>
    public long OldestResumable
    {
        get
        {
            lock (_gate)
            {
                return _log.First is { } first ? first.Value.ResourceVersion - 1 : _version;
            }
        }
    }

    /// <summary>Creates an object (metadata.name required; uid, resourceVersion, creationTimestamp are set here). 409 when it exists.</summary>
    public JsonObject Create(string resource, string ns, JsonObject body)
    {
        var metadata = body["metadata"] as JsonObject ?? throw new ApiException(422, "Invalid", $"{resource}: metadata is required");
        var name = (string?)metadata["name"];
        if (name is null && (string?)metadata["generateName"] is { } prefix)
        {
            name = prefix + Guid.NewGuid().ToString("N")[..5];
        }

        if (name is null || !DnsSubdomain().IsMatch(name) || name.Length > 253)
        {
            throw new ApiException(422, "Invalid", $"{resource} \"{name}\" is invalid: metadata.name: must be a lower-case RFC 1123 subdomain");
        }

        if ((string?)metadata["namespace"] is { } bodyNs && bodyNs != ns)
        {
            throw new ApiException(400, "BadRequest", $"the namespace of the provided object ({bodyNs}) does not match the namespace sent on the request ({ns})");
        }

        var obj = (JsonObject)body.DeepClone();
        var meta = (JsonObject)obj["metadata"]!;
        meta["name"] = name;
        meta["namespace"] = ns;
        meta["uid"] = Guid.NewGuid().ToString();
        meta["creationTimestamp"] = Now();
        meta.Remove("resourceVersion");
        meta.Remove("deletionTimestamp");
        if (resource == "secrets" && obj["stringData"] is JsonObject stringData)
        {
            var data = obj["data"] as JsonObject ?? [];
            foreach (var (field, value) in stringData)
            {
                data[field] = Convert.ToBase64String(Encoding.UTF8.GetBytes((string?)value ?? ""));
            }

            obj["data"] = data;
            obj.Remove("stringData");
        }

        if (resource == "pods")
        {
            obj["status"] = new JsonObject { ["phase"] = "Pending", ["qosClass"] = "Burstable" };
        }

        var key = new ResourceKey(resource, ns, name);
        lock (_gate)
        {
            if (_objects.ContainsKey(key))
            {
                throw new ApiException(409, "AlreadyExists", $"{resource} \"{name}\" already exists");
            }

            _objects[key] = obj;
            return Commit("ADDED", key, obj);
        }
    }

    /// <summary>The object, or 404.</summary>
    public JsonObject Get(string resource, string ns, string name)
    {
        lock (_gate)
        {
            return _objects.TryGetValue(new ResourceKey(resource, ns, name), out var obj)
                ? (JsonObject)obj.DeepClone()
                : throw NotFound(resource, name);
        }
    }

    /// <summary>The object, or null.</summary>
    public JsonObject? TryGet(string resource, string ns, string name)
    {
        lock (_gate)
        {
            return _objects.TryGetValue(new ResourceKey(resource, ns, name), out var obj) ? (JsonObject)obj.DeepClone() : null;
        }
    }

    /// <summary>The matching objects and the resourceVersion the list was taken at.</summary>
    public (IReadOnlyList<JsonObject> Items, long ResourceVersion) List(string resource, string ns, Func<JsonObject, bool> filter)
    {
        lock (_gate)
        {
            List<JsonObject> items =
            [
                .. _objects.Where(o => o.Key.Resource == resource && o.Key.Namespace == ns && filter(o.Value))
                    .OrderBy(o => o.Key.Name, StringComparer.Ordinal)
                    .Select(o => (JsonObject)o.Value.DeepClone()),
            ];
            return (items, _version);
        }
    }

    /// <summary>Changes an object in place (a status update by the kubelet, a deletion mark); a MODIFIED event follows. Null when gone.</summary>
    public JsonObject? Update(string resource, string ns, string name, Action<JsonObject> change)
    {
        var key = new ResourceKey(resource, ns, name);
        lock (_gate)
        {
            if (!_objects.TryGetValue(key, out var obj))
            {
                return null;
            }

            var copy = (JsonObject)obj.DeepClone();
            change(copy);
            _objects[key] = copy;
            return Commit("MODIFIED", key, copy);
        }
    }

    /// <summary>Removes an object (DELETED event) and, like the garbage collector, every object it owns. 404 when gone.</summary>
    public JsonObject Remove(string resource, string ns, string name)
    {
        var key = new ResourceKey(resource, ns, name);
        JsonObject removed;
        List<ResourceKey> owned;
        lock (_gate)
        {
            if (!_objects.Remove(key, out var obj))
            {
                throw NotFound(resource, name);
            }

            removed = Commit("DELETED", key, obj);
            var uid = (string?)obj["metadata"]?["uid"];
            owned =
            [
                .. _objects.Where(o => o.Key.Namespace == ns && o.Value["metadata"]?["ownerReferences"] is JsonArray refs
                        && refs.Any(r => (string?)r?["uid"] == uid))
                    .Select(o => o.Key),
            ];
        }

        foreach (var child in owned)
        {
            try
            {
                Remove(child.Resource, child.Namespace, child.Name);
            }
            catch (ApiException)
            {
                // Deleted meanwhile.
            }
        }

        return removed;
    }

    /// <summary>
    /// The events after <paramref name="afterVersion"/> (null when that version was compacted away: 410) and a subscription to the
    /// ones that follow, taken atomically so none is lost or repeated.
    /// </summary>
    public (IReadOnlyList<StoredEvent>? Backlog, IDisposable Subscription) Subscribe(long? afterVersion, Action<StoredEvent> onEvent)
    {
        lock (_gate)
        {
            IReadOnlyList<StoredEvent>? backlog = [];
            if (afterVersion is { } after)
            {
                var oldest = _log.First is { } first ? first.Value.ResourceVersion - 1 : _version;
                backlog = after < oldest ? null : [.. _log.Where(e => e.ResourceVersion > after)];
            }

            _subscribers.Add(onEvent);
            return (backlog, new Unsubscriber(this, onEvent));
        }
    }

    /// <summary>Forgets the event log up to now (as etcd compaction does): watches from older versions then get 410.</summary>
    public void Compact()
    {
        lock (_gate)
        {
            _log.Clear();
        }
    }

    internal static ApiException NotFound(string resource, string name) => new(404, "NotFound", $"{resource} \"{name}\" not found");

    internal static string Now() => DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private JsonObject Commit(string type, ResourceKey key, JsonObject obj)
    {
        var version = ++_version;
        obj["metadata"]!["resourceVersion"] = version.ToString(CultureInfo.InvariantCulture);
        var snapshot = (JsonObject)obj.DeepClone();
        var stored = new StoredEvent(version, type, key, snapshot, Stopwatch.GetTimestamp());
        _log.AddLast(stored);
        while (_log.Count > _logCapacity)
        {
            _log.RemoveFirst();
        }

        foreach (var subscriber in _subscribers.ToArray())
        {
            subscriber(stored);
        }

        return (JsonObject)snapshot.DeepClone();
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex DnsSubdomain();

    private sealed class Unsubscriber(ObjectStore store, Action<StoredEvent> handler) : IDisposable
    {
        public void Dispose()
        {
            lock (store._gate)
            {
                store._subscribers.Remove(handler);
            }
        }
    }
}
