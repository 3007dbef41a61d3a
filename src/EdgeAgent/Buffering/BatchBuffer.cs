using System.Threading.Channels;
using Convoy.Contracts.Telemetry.V1;
using Google.Protobuf;

namespace Convoy.EdgeAgent.Buffering;

/// <summary>
/// One device's outgoing batches, from the moment they are made until the collector acknowledged
/// them. Assigns the sequence (1, 2, 3...) and keeps each batch encoded, so it is sent again byte
/// for byte after a reconnect. Bounded: when full, the oldest unacknowledged batch is dropped and
/// counted (the excursion flag of <see cref="Append"/> is not used here: that policy is the durable
/// buffer's). Held in memory; it does not survive a restart of the agent.
/// </summary>
internal sealed class BatchBuffer : IBatchBuffer
{
    private readonly Lock _gate = new();
    private readonly Queue<(ulong Sequence, byte[] Bytes, int Readings)> _pending = new();
    private readonly Queue<(ulong Sequence, byte[] Bytes, string Reason)> _deadLetters = new();
    private long _deadLettered;
    private readonly Channel<bool> _doorbell = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly int _capacity;
    private ulong _nextSequence = 1;
    private ulong _acked;

    public BatchBuffer(string device, int capacity)
    {
        Device = device;
        _capacity = capacity;
    }

    public string Device { get; }

    /// <summary>Highest sequence the collector acknowledged.</summary>
    public ulong Acked
    {
        get
        {
            lock (_gate)
            {
                return _acked;
            }
        }
    }

    /// <summary>Highest sequence handed out so far (0 before the first batch).</summary>
    public ulong LastSequence
    {
        get
        {
            lock (_gate)
            {
                return _nextSequence - 1;
            }
        }
    }

    /// <summary>Batches dropped because the buffer was full.</summary>
    public long Dropped { get; private set; }

    /// <summary>Bytes of the kept batches' encodings.</summary>
    public long Bytes
    {
        get
        {
            lock (_gate)
            {
                long bytes = 0;
                foreach (var entry in _pending)
                {
                    bytes += entry.Bytes.Length;
                }

                return bytes;
            }
        }
    }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _pending.Count;
            }
        }
    }

    /// <summary>Stamps the next sequence on the batch, encodes and keeps it. Returns the sequence.</summary>
    /// <summary>Nothing to do: this buffer is memory (the simulator's); a crash loses it whatever happens.</summary>
    public void MakeDurable()
    {
    }

    public ulong Append(TelemetryBatch batch, int readings, bool excursion = false)
    {
        ArgumentNullException.ThrowIfNull(batch);
        lock (_gate)
        {
            batch.Sequence = _nextSequence++;
            if (_pending.Count >= _capacity)
            {
                _pending.Dequeue();
                Dropped++;
            }

            _pending.Enqueue((batch.Sequence, batch.ToByteArray(), readings));
        }

        _doorbell.Writer.TryWrite(true);
        return batch.Sequence;
    }

    /// <summary>The first kept batch with a sequence above <paramref name="after"/>.</summary>
    public bool TryGetNext(ulong after, out ulong sequence, out byte[] bytes)
    {
        lock (_gate)
        {
            foreach (var entry in _pending)
            {
                if (entry.Sequence > after)
                {
                    (sequence, bytes) = (entry.Sequence, entry.Bytes);
                    return true;
                }
            }
        }

        (sequence, bytes) = (0, []);
        return false;
    }

    /// <summary>The last dead-lettered batches (at most 100), newest last: this buffer keeps nothing on disk.</summary>
    public IReadOnlyList<(ulong Sequence, byte[] Bytes, string Reason)> DeadLetters
    {
        get
        {
            lock (_gate)
            {
                return [.. _deadLetters];
            }
        }
    }

    public long DeadLettered => Interlocked.Read(ref _deadLettered);

    public void DeadLetter(ulong sequence, string reason)
    {
        lock (_gate)
        {
            if (!_pending.TryPeek(out var head) || head.Sequence != sequence)
            {
                throw new InvalidOperationException($"batch {sequence} is not the oldest kept batch of {Device}");
            }

            _deadLetters.Enqueue((sequence, head.Bytes, reason));
            if (_deadLetters.Count > 100)
            {
                _deadLetters.Dequeue();
            }
        }

        Interlocked.Increment(ref _deadLettered);
        Acknowledge(sequence);
    }

    /// <summary>Forgets every batch up to and including <paramref name="sequence"/>; returns their readings.</summary>
    public (int Batches, long Readings) Acknowledge(ulong sequence)
    {
        int batches = 0;
        long readings = 0;
        lock (_gate)
        {
            if (sequence <= _acked)
            {
                return (0, 0);
            }

            _acked = sequence;
            while (_pending.TryPeek(out var head) && head.Sequence <= sequence)
            {
                _pending.Dequeue();
                batches++;
                readings += head.Readings;
            }
        }

        _doorbell.Writer.TryWrite(true);
        return (batches, readings);
    }

    /// <summary>Completes when something changed (a batch was added or acknowledged) since the last wait.</summary>
    public async ValueTask WaitForChangeAsync(CancellationToken cancellationToken) => await _doorbell.Reader.ReadAsync(cancellationToken);
}
