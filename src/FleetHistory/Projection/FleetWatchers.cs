using System.Threading.Channels;

namespace Convoy.FleetHistory.Projection;

/// <summary>
/// What one projector flush changed of one tenant, once its store transaction committed: the
/// devices whose state it wrote and the alerts it wrote (fired, resolved or acknowledged). A
/// watch reads their new state from the store.
/// </summary>
internal sealed record FlushNotice(IReadOnlyCollection<string> Devices, IReadOnlyCollection<string> AlertIds);

/// <summary>
/// The open fleet watches (WatchFleet), by tenant: the projector tells each of a tenant's watchers
/// about every flush of that tenant, and never waits for one. Each watcher has a bounded backlog;
/// one that falls further behind than that is ended (and told why) rather than slowing the
/// projector or holding notices without limit. A tenant nobody watches costs the projector one
/// dictionary lookup per flush and nothing else.
/// </summary>
internal sealed class FleetWatchers
{
    private readonly Lock _changing = new();
    private Dictionary<string, FleetWatcher[]> _byTenant = new(StringComparer.Ordinal);

    /// <summary>Whether anyone watches the tenant now (read without a lock: the map is replaced, never changed).</summary>
    public bool IsWatched(string tenant) => Volatile.Read(ref _byTenant).ContainsKey(tenant);

    /// <summary>Starts a watch of the tenant; dispose it to stop.</summary>
    public FleetWatcher Watch(string tenant, int backlog)
    {
        var watcher = new FleetWatcher(this, tenant, backlog);
        lock (_changing)
        {
            var next = new Dictionary<string, FleetWatcher[]>(_byTenant, StringComparer.Ordinal);
            next[tenant] = next.TryGetValue(tenant, out var others) ? [.. others, watcher] : [watcher];
            Volatile.Write(ref _byTenant, next);
        }

        return watcher;
    }

    /// <summary>Hands a committed flush of the tenant to each of its watchers; a watcher whose backlog is full is ended.</summary>
    public void Publish(string tenant, FlushNotice notice)
    {
        if (!Volatile.Read(ref _byTenant).TryGetValue(tenant, out var watchers))
        {
            return;
        }

        foreach (var watcher in watchers)
        {
            watcher.Offer(notice);
        }
    }

    internal void Leave(FleetWatcher watcher)
    {
        lock (_changing)
        {
            if (!_byTenant.TryGetValue(watcher.Tenant, out var watchers))
            {
                return;
            }

            var next = new Dictionary<string, FleetWatcher[]>(_byTenant, StringComparer.Ordinal);
            var rest = Array.FindAll(watchers, w => !ReferenceEquals(w, watcher));
            if (rest.Length == 0)
            {
                next.Remove(watcher.Tenant);
            }
            else
            {
                next[watcher.Tenant] = rest;
            }

            Volatile.Write(ref _byTenant, next);
        }
    }
}

/// <summary>One open watch's notices, at most its backlog of them waiting.</summary>
internal sealed class FleetWatcher : IDisposable
{
    private readonly FleetWatchers _watchers;
    private readonly Channel<FlushNotice> _notices;
    private int _fellBehind;

    public FleetWatcher(FleetWatchers watchers, string tenant, int backlog)
    {
        _watchers = watchers;
        Tenant = tenant;
        Backlog = backlog;
        _notices = Channel.CreateBounded<FlushNotice>(new BoundedChannelOptions(backlog)
        {
            SingleReader = true, FullMode = BoundedChannelFullMode.Wait,
        });
    }

    public string Tenant { get; }

    public int Backlog { get; }

    /// <summary>The flushes since the watch started, in order; completes when the watcher fell behind.</summary>
    public ChannelReader<FlushNotice> Notices => _notices.Reader;

    /// <summary>True once more than <see cref="Backlog"/> notices waited: the watch must end.</summary>
    public bool FellBehind => Volatile.Read(ref _fellBehind) != 0;

    internal void Offer(FlushNotice notice)
    {
        if (!_notices.Writer.TryWrite(notice) && Interlocked.Exchange(ref _fellBehind, 1) == 0)
        {
            _notices.Writer.TryComplete();
        }
    }

    public void Dispose()
    {
        _watchers.Leave(this);
        _notices.Writer.TryComplete();
    }
}
