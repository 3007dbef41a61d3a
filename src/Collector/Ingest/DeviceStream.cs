using System.Threading.Channels;
using System.Threading.RateLimiting;
using Confluent.Kafka;
using Convoy.Collector.Kafka;
using Convoy.Contracts.Telemetry.V1;
using Convoy.Kafka.Native;
using Convoy.Pki;
using Grpc.Core;

namespace Convoy.Collector.Ingest;

/// <summary>
/// Bookkeeping of one device stream: which batches are in flight to Kafka, the window that bounds
/// them, and the acks owed. Invariant: the acked sequence only moves forward, and only over
/// batches Kafka confirmed, in the order they were accepted; a batch that failed stops it.
/// Delivery reports may arrive after the stream ended, so nothing here is ever disposed
/// (the semaphore and the token source hold no unmanaged resources when used this way).
/// </summary>
#pragma warning disable CA1001 // see above: disposing would race late delivery reports
internal sealed class DeviceStream : IRecordDeliveryHandler
{
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _window;
    private readonly int _windowSize;
    private readonly Channel<ulong> _acks = Channel.CreateUnbounded<ulong>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });
    private readonly CancellationTokenSource _failed = new();
    private readonly DeviceHighWaterMarks _marks;
    private readonly CollectorMetrics _metrics;

    // In-flight batches in acceptance order, as a ring of _windowSize slots.
    private readonly ulong[] _sequences;
    private readonly int[] _readings;
    private readonly byte[] _states; // 0 in flight, 1 confirmed, 2 failed
    private readonly long[] _producedAt; // Stopwatch timestamps, for the produce latency
    private readonly int[] _bytes;
    private readonly RateLimitLease?[] _inFlight; // the tenant's in-flight allowance each batch holds
    private int _head;
    private int _count;

    private ulong _acked;
    private ulong _lastAccepted;
    private ulong _lastReceived; // read and written by the stream's reading loop only

    public DeviceStream(DeviceIdentity device, int window, DeviceHighWaterMarks marks, CollectorMetrics metrics)
    {
        Device = device;
        _windowSize = window;
        _window = new SemaphoreSlim(window, window);
        _marks = marks;
        _metrics = metrics;
        _sequences = new ulong[window];
        _readings = new int[window];
        _states = new byte[window];
        _producedAt = new long[window];
        _bytes = new int[window];
        _inFlight = new RateLimitLease?[window];
        _acked = _lastAccepted = marks.Get(device);
    }

    public DeviceIdentity Device { get; }

    public ulong Acked => Volatile.Read(ref _acked);

    /// <summary>Cancelled when Kafka finally refused a batch of this stream.</summary>
    public CancellationToken Failed => _failed.Token;

    /// <summary>Why Kafka refused a batch, once it did.</summary>
    public string? Failure { get; private set; }

    /// <summary>
    /// What a batch's sequence means on this stream. A stream's sequences must increase: one not
    /// above the last this stream received goes backwards (an out-of-order or repeated batch, which
    /// the collector cannot tell apart from data it never saw, so it is refused rather than
    /// dropped). One above that but not above what the device had acknowledged or in flight when
    /// the stream began is a replay: acknowledged again, not written again.
    /// </summary>
    public SequenceCheck Check(ulong sequence)
    {
        if (sequence <= _lastReceived)
        {
            return SequenceCheck.Backwards;
        }

        _lastReceived = sequence;
        if (sequence > Volatile.Read(ref _lastAccepted))
        {
            return SequenceCheck.New;
        }

        if (sequence <= Acked)
        {
            _acks.Writer.TryWrite(Acked); // Already in Kafka: say so again, write nothing.
        }

        return SequenceCheck.Replay;
    }

    /// <summary>The last sequence this stream received.</summary>
    public ulong LastReceived => _lastReceived;

    /// <summary>Waits for a free slot in the window: the backpressure that stops reading the stream.</summary>
    public Task WaitForWindowAsync(CancellationToken cancellationToken) => _window.WaitAsync(cancellationToken);

    /// <summary>A batch about to be produced; it holds <paramref name="inFlight"/> until Kafka answers.</summary>
    public void Accept(ulong sequence, int readings, int bytes, RateLimitLease? inFlight)
    {
        _metrics.Accepted(Device.Tenant, bytes);
        lock (_gate)
        {
            int slot = (_head + _count) % _windowSize;
            _sequences[slot] = sequence;
            _readings[slot] = readings;
            _bytes[slot] = bytes;
            _inFlight[slot] = inFlight;
            _states[slot] = 0;
            _producedAt[slot] = System.Diagnostics.Stopwatch.GetTimestamp();
            _count++;
            _lastAccepted = sequence;
        }
    }

    /// <summary>Takes back a batch accepted but then not produced (the producer refused it locally).</summary>
    public void Withdraw()
    {
        RateLimitLease? inFlight;
        int bytes;
        lock (_gate)
        {
            _count--;
            int slot = (_head + _count) % _windowSize;
            (inFlight, _inFlight[slot], bytes) = (_inFlight[slot], null, _bytes[slot]);
            _lastAccepted = _count > 0 ? _sequences[(_head + _count - 1) % _windowSize] : Acked;
        }

        inFlight?.Dispose();
        _metrics.Delivered(Device.Tenant, bytes, TimeSpan.Zero, Confluent.Kafka.ErrorCode.Local_QueueFull);
        _window.Release();
    }

    /// <summary>Waits until every accepted batch is confirmed or failed.</summary>
    public async Task DrainAsync(CancellationToken cancellationToken)
    {
        int held = 0;
        try
        {
            for (; held < _windowSize; held++)
            {
                await _window.WaitAsync(cancellationToken);
            }
        }
        finally
        {
            // Cancelled or not, give the slots back, so a later drain can wait again.
            if (held > 0)
            {
                _window.Release(held);
            }
        }
    }

    /// <summary>Writes acks as they become due until <see cref="CompleteAcks"/>; coalesces a burst into one ack.</summary>
    public async Task WriteAcksAsync(IServerStreamWriter<IngestAck> responses, uint window, CancellationToken cancellationToken)
    {
        var reader = _acks.Reader;
        while (await reader.WaitToReadAsync(cancellationToken))
        {
            ulong latest = 0;
            while (reader.TryRead(out ulong sequence))
            {
                latest = Math.Max(latest, sequence);
            }

            await responses.WriteAsync(new IngestAck { DeviceId = Device.Device, AckedSequence = latest, Window = window }, cancellationToken);
        }
    }

    public void CompleteAcks() => _acks.Writer.TryComplete();

    /// <summary>Kafka's answer for the batch whose sequence is <paramref name="token"/> (on the producer's delivery thread).</summary>
    public void OnDelivery(long token, ErrorCode outcome)
    {
        ulong sequence = (ulong)token;
        bool failed = outcome != ErrorCode.NoError;
        int batches = 0;
        long readings = 0;
        ulong acked = 0;
        long producedAt = 0;
        int bytes = 0;
        RateLimitLease? inFlight = null;
        lock (_gate)
        {
            for (int i = 0; i < _count; i++)
            {
                int slot = (_head + i) % _windowSize;
                if (_sequences[slot] == sequence && _states[slot] == 0)
                {
                    _states[slot] = failed ? (byte)2 : (byte)1;
                    producedAt = _producedAt[slot];
                    bytes = _bytes[slot];
                    (inFlight, _inFlight[slot]) = (_inFlight[slot], null);
                    break;
                }
            }

            if (failed && Failure is null)
            {
                Failure = $"batch {sequence}: {outcome.GetReason()}";
            }

            while (_count > 0 && _states[_head] == 1 && Failure is null)
            {
                acked = _sequences[_head];
                readings += _readings[_head];
                batches++;
                _head = (_head + 1) % _windowSize;
                _count--;
            }

            if (batches > 0)
            {
                Volatile.Write(ref _acked, acked);
            }
        }

        // Confirmed or refused, the batch no longer counts against the tenant's in-flight allowance.
        inFlight?.Dispose();
        _metrics.Delivered(Device.Tenant, bytes, System.Diagnostics.Stopwatch.GetElapsedTime(producedAt), outcome);
        if (batches > 0)
        {
            _marks.Advance(Device, acked);
            _metrics.Acknowledged(Device.Tenant, batches, readings);
            _acks.Writer.TryWrite(acked);
        }

        _window.Release();
        if (failed)
        {
            // Not on librdkafka's delivery thread: cancellation runs the stream's callbacks.
            ThreadPool.UnsafeQueueUserWorkItem(static cts => cts.Cancel(), _failed, preferLocal: false);
        }
    }
}
#pragma warning restore CA1001

/// <summary>What a batch's sequence means on its stream (<see cref="DeviceStream.Check"/>).</summary>
internal enum SequenceCheck
{
    /// <summary>Above anything the device sent before: write it.</summary>
    New,

    /// <summary>Already written (acknowledged or in flight) before this stream: acknowledge again, write nothing.</summary>
    Replay,

    /// <summary>Not above the last sequence this stream received: refuse.</summary>
    Backwards,
}
