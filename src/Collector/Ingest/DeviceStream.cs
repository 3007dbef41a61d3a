using System.Threading.Channels;
using System.Threading.RateLimiting;
using Confluent.Kafka;
using Convoy.Contracts.Telemetry.V1;
using Convoy.Kafka.Native;
using Convoy.Pki;
using Grpc.Core;

namespace Convoy.Collector.Ingest;

/// <summary>
/// Bookkeeping of one device stream: the batches it accepted and not yet acknowledged, the window
/// that bounds them, and the acks owed. Whether a batch is written is the device's
/// <see cref="SequenceLedger"/>'s decision (a batch another call is writing is waited for, one
/// Kafka has is acknowledged again); this stream acknowledges its batches in the order it accepted
/// them, each once Kafka has it, and stops acknowledging at the first that failed.
/// Invariant: the acked sequence only moves forward, only over batches Kafka confirmed, and only
/// over batches this stream received: never ahead of what the device sent on it. (Starting from
/// what the device's ledger knows instead would skip sequences nobody has sent yet: another call
/// of the device may have written later ones first, and a stream acknowledging those before the
/// device sent the earlier ones on it lost them when the stream then ended.)
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
    private readonly CollectorMetrics _metrics;

    // Accepted batches in acceptance order, as a ring of _windowSize slots.
    private readonly ulong[] _sequences;
    private readonly int[] _readings;
    private readonly byte[] _states; // 0 waiting for Kafka, 1 confirmed, 2 failed
    private readonly bool[] _counted; // accepted for Kafka (counted in the metrics), not a replay of what Kafka had
    private readonly long[] _producedAt; // Stopwatch timestamps, for the produce latency
    private readonly int[] _bytes;
    private readonly RateLimitLease?[] _inFlight; // the tenant's in-flight allowance each batch holds
    private int _head;
    private int _count;

    private ulong _acked;
    private ulong _lastReceived; // read and written by the stream's reading loop only

    public DeviceStream(DeviceIdentity device, int window, SequenceLedger ledger, CollectorMetrics metrics)
    {
        Device = device;
        Ledger = ledger;
        _windowSize = window;
        _window = new SemaphoreSlim(window, window);
        _metrics = metrics;
        _sequences = new ulong[window];
        _readings = new int[window];
        _states = new byte[window];
        _counted = new bool[window];
        _producedAt = new long[window];
        _bytes = new int[window];
        _inFlight = new RateLimitLease?[window];
    }

    public DeviceIdentity Device { get; }

    /// <summary>The device's ledger: the delivery handler of this stream's writes.</summary>
    public SequenceLedger Ledger { get; }

    public ulong Acked => Volatile.Read(ref _acked);

    /// <summary>Cancelled when Kafka finally refused a batch of this stream.</summary>
    public CancellationToken Failed => _failed.Token;

    /// <summary>Why Kafka refused a batch, once it did.</summary>
    public string? Failure { get; private set; }

    /// <summary>
    /// What a batch's sequence means on this stream. A stream's sequences must increase: one not
    /// above the last this stream received goes backwards (an out-of-order or repeated batch, which
    /// the collector cannot tell apart from data it never saw, so it is refused rather than
    /// dropped). Otherwise it is a replay when the device's ledger says Kafka has it.
    /// </summary>
    public SequenceCheck Check(ulong sequence)
    {
        if (sequence <= _lastReceived)
        {
            return SequenceCheck.Backwards;
        }

        _lastReceived = sequence;
        return Ledger.Peek(sequence) == BatchClaim.Written ? SequenceCheck.Replay : SequenceCheck.New;
    }

    /// <summary>The last sequence this stream received.</summary>
    public ulong LastReceived => _lastReceived;

    /// <summary>Waits for a free slot in the window: the backpressure that stops reading the stream.</summary>
    public Task WaitForWindowAsync(CancellationToken cancellationToken) => _window.WaitAsync(cancellationToken);

    /// <summary>A replay of a batch Kafka has (after <see cref="WaitForWindowAsync"/>): acknowledged in its turn, not written.</summary>
    public void Replayed(ulong sequence)
    {
        Add(sequence, readings: 0, bytes: 0, inFlight: null, counted: false);
        OnDelivery((long)sequence, ErrorCode.NoError);
    }

    /// <summary>
    /// A new batch (after <see cref="WaitForWindowAsync"/>), holding <paramref name="inFlight"/>
    /// until Kafka answers, claimed in the device's ledger. On <see cref="BatchClaim.Write"/> the
    /// caller produces it with <see cref="Ledger"/> as the delivery handler and the sequence as the
    /// token; otherwise another call is writing it or already did, and it is acknowledged when that
    /// write is.
    /// </summary>
    public BatchClaim Accept(ulong sequence, int readings, int bytes, RateLimitLease? inFlight)
    {
        _metrics.Accepted(Device.Tenant, bytes);
        Add(sequence, readings, bytes, inFlight, counted: true);
        var claim = Ledger.Claim(sequence, this, (long)sequence);
        if (claim == BatchClaim.Written)
        {
            OnDelivery((long)sequence, ErrorCode.NoError); // written by another call since Check
        }

        return claim;
    }

    /// <summary>Takes back the last batch accepted, which the producer refused locally: nothing was written.</summary>
    public void Withdraw(ulong sequence, ErrorCode refusal)
    {
        Ledger.Abandon(sequence, refusal);
        RateLimitLease? inFlight;
        int bytes;
        lock (_gate)
        {
            _count--;
            int slot = (_head + _count) % _windowSize;
            (inFlight, _inFlight[slot], bytes) = (_inFlight[slot], null, _bytes[slot]);
        }

        inFlight?.Dispose();
        _metrics.Delivered(Device.Tenant, bytes, TimeSpan.Zero, refusal);
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

    /// <summary>
    /// Kafka's answer for the batch whose sequence is <paramref name="token"/>: this stream's own
    /// write, or another call's write of a batch this stream also carries (told by the ledger, on
    /// the producer's delivery thread).
    /// </summary>
    public void OnDelivery(long token, ErrorCode outcome)
    {
        ulong sequence = (ulong)token;
        bool failed = outcome != ErrorCode.NoError;
        bool found = false;
        bool counted = false;
        bool advanced = false;
        int batches = 0;
        long readings = 0;
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
                    (found, counted, producedAt, bytes) = (true, _counted[slot], _producedAt[slot], _bytes[slot]);
                    (inFlight, _inFlight[slot]) = (_inFlight[slot], null);
                    break;
                }
            }

            if (!found)
            {
                return;
            }

            if (failed && Failure is null)
            {
                Failure = $"batch {sequence}: {outcome.GetReason()}";
            }

            while (_count > 0 && _states[_head] == 1 && Failure is null)
            {
                _acked = Math.Max(_acked, _sequences[_head]);
                if (_counted[_head])
                {
                    readings += _readings[_head];
                    batches++;
                }

                advanced = true;
                _head = (_head + 1) % _windowSize;
                _count--;
            }
        }

        // Confirmed or refused, the batch no longer counts against the tenant's in-flight allowance.
        inFlight?.Dispose();
        if (counted)
        {
            _metrics.Delivered(Device.Tenant, bytes, System.Diagnostics.Stopwatch.GetElapsedTime(producedAt), outcome);
        }

        if (advanced)
        {
            if (batches > 0)
            {
                _metrics.Acknowledged(Device.Tenant, batches, readings);
            }

            _acks.Writer.TryWrite(Acked);
        }

        _window.Release();
        if (failed)
        {
            // Not on librdkafka's delivery thread: cancellation runs the stream's callbacks.
            ThreadPool.UnsafeQueueUserWorkItem(static cts => cts.Cancel(), _failed, preferLocal: false);
        }
    }

    private void Add(ulong sequence, int readings, int bytes, RateLimitLease? inFlight, bool counted)
    {
        lock (_gate)
        {
            int slot = (_head + _count) % _windowSize;
            _sequences[slot] = sequence;
            _readings[slot] = readings;
            _bytes[slot] = bytes;
            _inFlight[slot] = inFlight;
            _counted[slot] = counted;
            _states[slot] = 0;
            _producedAt[slot] = System.Diagnostics.Stopwatch.GetTimestamp();
            _count++;
        }
    }
}
#pragma warning restore CA1001

/// <summary>What a batch's sequence means on its stream (<see cref="DeviceStream.Check"/>).</summary>
internal enum SequenceCheck
{
    /// <summary>Kafka does not have it (as far as the device's ledger knows): accept it, and claim it.</summary>
    New,

    /// <summary>Kafka has it: acknowledge again in its turn, write nothing.</summary>
    Replay,

    /// <summary>Not above the last sequence this stream received: refuse.</summary>
    Backwards,
}
