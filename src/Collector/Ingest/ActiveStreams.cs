using System.Collections.Concurrent;

namespace Convoy.Collector.Ingest;

/// <summary>
/// One active stream per device. A second stream from the same device replaces the first: the
/// usual cause is a truck whose old connection died without the collector noticing (a cellular
/// NAT timeout, a tunnel), so refusing the new stream would lock the truck out until keep-alives
/// expire. The old stream stops reading and is ended with ABORTED; the new one waits until every
/// write of the old one has been answered by Kafka, so it starts from the old stream's final
/// acknowledgement and the device's resent batches are recognised as replays, not written twice.
/// One per <see cref="SequenceSpace"/>, strictly: a partner streaming for a device neither replaces
/// the device's own stream nor is replaced by it.
/// </summary>
internal sealed class ActiveStreams
{
    private readonly ConcurrentDictionary<SequenceSpace, Claim> _claims = new();

    /// <summary>Streams open now (one per device and sender).</summary>
    public int Count => _claims.Count;

    /// <summary>Takes the space's slot, replacing (and stopping) the stream that had it.</summary>
    public Claim Replace(SequenceSpace space, string? peer, out Claim? replaced)
    {
        var claim = new Claim(peer);
        while (true)
        {
            if (_claims.TryGetValue(space, out var current))
            {
                if (_claims.TryUpdate(space, claim, current))
                {
                    replaced = current;
                    current.Replace(peer);
                    return claim;
                }
            }
            else if (_claims.TryAdd(space, claim))
            {
                replaced = null;
                return claim;
            }
        }
    }

    /// <summary>Gives up the space's slot (if still held by <paramref name="claim"/>) once the stream's writes are all answered.</summary>
    public void Release(SequenceSpace space, Claim claim)
    {
        _claims.TryRemove(new KeyValuePair<SequenceSpace, Claim>(space, claim));
        claim.Drained();
    }

    /// <summary>
    /// One stream's hold on its device. Its token source is never disposed: a newer stream may
    /// cancel it at any moment, and without timers or links it holds no unmanaged resources.
    /// </summary>
#pragma warning disable CA1001 // see above
    internal sealed class Claim
    {
        private readonly CancellationTokenSource _replaced = new();
        private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Claim(string? peer) => Peer = peer;

        /// <summary>Where the stream comes from, for the log.</summary>
        public string? Peer { get; }

        /// <summary>Where the stream that replaced this one comes from, once one did.</summary>
        public string? ReplacedBy { get; private set; }

        /// <summary>Cancelled when a newer stream of the same device took over.</summary>
        public CancellationToken Replaced => _replaced.Token;

        /// <summary>Completes when every write of this stream has been answered by Kafka.</summary>
        public Task WhenDrained => _drained.Task;

        internal void Replace(string? peer)
        {
            ReplacedBy = peer;
            _replaced.Cancel();
        }

        internal void Drained() => _drained.TrySetResult();
    }
#pragma warning restore CA1001
}
