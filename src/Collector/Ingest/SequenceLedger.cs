using Confluent.Kafka;
using Convoy.Kafka.Native;

namespace Convoy.Collector.Ingest;

/// <summary>What <see cref="SequenceLedger.Claim"/> decided about a batch.</summary>
internal enum BatchClaim
{
    /// <summary>Nobody wrote it yet: the caller writes it now (and only the caller).</summary>
    Write,

    /// <summary>Another call is writing it: the caller is told that write's outcome, and writes nothing.</summary>
    InFlight,

    /// <summary>Kafka already has it: acknowledge again, write nothing.</summary>
    Written,
}

/// <summary>
/// Which sequences of one device are written, being written, or failed: the one place every call
/// for the device (its streams, its uploads, in any interleaving) asks before it writes a batch, so
/// a batch is written once however many calls carry it at the same time (issue 12.5: eight
/// simultaneous retries of one upload were eight records).
/// </summary>
/// <remarks>
/// <para>
/// <see cref="Claim"/> decides under one lock, so of two calls carrying the same sequence exactly
/// one gets <see cref="BatchClaim.Write"/>; the other waits for that write's outcome
/// (<see cref="BatchClaim.InFlight"/>) or acknowledges it again (<see cref="BatchClaim.Written"/>).
/// The ledger is the delivery handler of every write it hands out: it learns Kafka's answer first,
/// then tells the writer and every call waiting on the sequence. A failed write is forgotten as a
/// write, so the next call carrying the batch writes it again.
/// </para>
/// <para>
/// Sequences are tracked exactly, not as one high-water mark: under concurrency a later sequence
/// can be claimed before an earlier one arrives (two uploads of one sender at once), and the earlier
/// one must then be written, not taken for a replay. What is remembered: a floor at or below which
/// everything is done, the confirmed runs above it (one per gap in the sequences, so a device that
/// sends 1, 2, 3, ... keeps none), and the writes in flight or failed. Beyond
/// <see cref="MaxConfirmedRuns"/> gaps the lowest is closed (the floor passes it), so the memory of a
/// device stays small whatever it sends.
/// </para>
/// <para>
/// <see cref="Acked"/> is the highest sequence at or below which every claimed sequence is in Kafka.
/// It skips gaps (sequences never claimed) and stops below a write in flight or failed. Because of
/// the gaps it is for logs, not for acks: an ack names what its receiver sent and Kafka has (a
/// stream's acks follow its own batches, an upload's its own request), never a gap another call
/// jumped.
/// </para>
/// Delivery reports may arrive after the calls that caused them ended; nothing here needs disposing.
/// </remarks>
internal sealed class SequenceLedger : IRecordDeliveryHandler
{
    /// <summary>Confirmed runs kept above the floor before the lowest gap is closed.</summary>
    internal const int MaxConfirmedRuns = 64;

    private readonly Lock _gate = new();
    private ulong _floor;
    private Run[] _confirmed = [];         // sorted, disjoint, none adjacent to another or to the floor
    private int _confirmedCount;
    private Open[] _open = [];             // claimed and not confirmed, sorted by sequence, from _openStart
    private int _openStart;
    private int _openCount;
    private List<(ulong Sequence, IRecordDeliveryHandler Handler, long Token)>? _waiters; // calls waiting on a write they did not make

    /// <summary>The highest sequence at or below which every claimed sequence is in Kafka (0 when none).</summary>
    public ulong Acked
    {
        get
        {
            lock (_gate)
            {
                ulong acked = _floor;
                ulong lowestOpen = _openCount > 0 ? _open[_openStart].Sequence : ulong.MaxValue;
                for (int i = 0; i < _confirmedCount && _confirmed[i].Low < lowestOpen; i++)
                {
                    acked = _confirmed[i].High;
                }

                return acked;
            }
        }
    }

    /// <summary>Whether some write is in flight or failed (not to be forgotten: calls still depend on it).</summary>
    public bool Busy
    {
        get
        {
            lock (_gate)
            {
                return _openCount > 0;
            }
        }
    }

    /// <summary>
    /// Decides what the caller does with <paramref name="sequence"/>. On <see cref="BatchClaim.Write"/>
    /// the caller produces the batch with this ledger as the delivery handler and the sequence as
    /// the token (or calls <see cref="Abandon"/> when the producer refused it locally); on Write and
    /// on <see cref="BatchClaim.InFlight"/>, <paramref name="handler"/> is told the write's outcome
    /// with <paramref name="token"/>, once. On <see cref="BatchClaim.Written"/> it is not called.
    /// </summary>
    public BatchClaim Claim(ulong sequence, IRecordDeliveryHandler handler, long token)
    {
        lock (_gate)
        {
            if (IsConfirmed(sequence))
            {
                return BatchClaim.Written;
            }

            int at = FindOpen(sequence, out bool found);
            if (found)
            {
                ref var open = ref _open[at];
                if (open.Failed)
                {
                    // Written before and refused: this call writes it again.
                    open = new Open(sequence, handler, token, failed: false);
                    return BatchClaim.Write;
                }

                (_waiters ??= []).Add((sequence, handler, token));
                return BatchClaim.InFlight;
            }

            InsertOpen(at, new Open(sequence, handler, token, failed: false));
            return BatchClaim.Write;
        }
    }

    /// <summary>What the ledger knows of <paramref name="sequence"/> without claiming it: Written, or Write (not written; claim it to write it).</summary>
    public BatchClaim Peek(ulong sequence)
    {
        lock (_gate)
        {
            return IsConfirmed(sequence) ? BatchClaim.Written : BatchClaim.Write;
        }
    }

    /// <summary>Kafka's answer for a write this ledger handed out (token = its sequence), on the producer's delivery thread.</summary>
    public void OnDelivery(long token, ErrorCode outcome) => Resolve((ulong)token, outcome, tellWriter: true);

    /// <summary>A write handed out by <see cref="Claim"/> that the producer refused locally: nothing was written. The writer knows; the calls waiting on it are told.</summary>
    public void Abandon(ulong sequence, ErrorCode outcome) => Resolve(sequence, outcome, tellWriter: false);

    private void Resolve(ulong sequence, ErrorCode outcome, bool tellWriter)
    {
        bool confirmed = outcome == ErrorCode.NoError;
        IRecordDeliveryHandler? writer = null;
        long writerToken = 0;
        List<(IRecordDeliveryHandler Handler, long Token)>? waiting = null;
        lock (_gate)
        {
            int at = FindOpen(sequence, out bool found);
            if (!found || _open[at].Failed)
            {
                return; // not a write this ledger knows (forgotten, or answered twice)
            }

            if (tellWriter)
            {
                (writer, writerToken) = (_open[at].Handler, _open[at].Token);
            }

            if (confirmed)
            {
                RemoveOpen(at);
                AddConfirmed(sequence);
            }
            else
            {
                _open[at] = new Open(sequence, null, 0, failed: true);
            }

            if (_waiters is { Count: > 0 })
            {
                for (int i = _waiters.Count - 1; i >= 0; i--)
                {
                    if (_waiters[i].Sequence == sequence)
                    {
                        (waiting ??= []).Add((_waiters[i].Handler, _waiters[i].Token));
                        _waiters.RemoveAt(i);
                    }
                }
            }
        }

        // Outside the lock: a handler may claim again, or cancel a stream.
        writer?.OnDelivery(writerToken, outcome);
        if (waiting is not null)
        {
            foreach (var (handler, token) in waiting)
            {
                handler.OnDelivery(token, outcome);
            }
        }
    }

    private bool IsConfirmed(ulong sequence)
    {
        if (sequence <= _floor)
        {
            return true;
        }

        for (int i = 0; i < _confirmedCount && _confirmed[i].Low <= sequence; i++)
        {
            if (sequence <= _confirmed[i].High)
            {
                return true;
            }
        }

        return false;
    }

    private void AddConfirmed(ulong sequence)
    {
        int i = 0;
        while (i < _confirmedCount && _confirmed[i].High < sequence)
        {
            i++;
        }

        bool joinsBelow = i > 0 && _confirmed[i - 1].High == sequence - 1;
        bool joinsAbove = i < _confirmedCount && _confirmed[i].Low == sequence + 1;
        if (joinsBelow && joinsAbove)
        {
            _confirmed[i - 1].High = _confirmed[i].High;
            RemoveConfirmed(i);
        }
        else if (joinsBelow)
        {
            _confirmed[i - 1].High = sequence;
        }
        else if (joinsAbove)
        {
            _confirmed[i].Low = sequence;
        }
        else
        {
            if (_confirmedCount == _confirmed.Length)
            {
                Array.Resize(ref _confirmed, Math.Max(2, _confirmed.Length * 2));
            }

            Array.Copy(_confirmed, i, _confirmed, i + 1, _confirmedCount - i);
            _confirmed[i] = new Run(sequence, sequence);
            _confirmedCount++;
        }

        // A run that starts right above the floor raises it; too many gaps close the lowest, if nothing open lies below it.
        while (_confirmedCount > 0 && (_confirmed[0].Low == _floor + 1 || (_confirmedCount > MaxConfirmedRuns && NothingOpenBelow(_confirmed[0].Low))))
        {
            _floor = _confirmed[0].High;
            RemoveConfirmed(0);
        }
    }

    private bool NothingOpenBelow(ulong sequence) => _openCount == 0 || _open[_openStart].Sequence > sequence;

    private void RemoveConfirmed(int i)
    {
        Array.Copy(_confirmed, i + 1, _confirmed, i, _confirmedCount - i - 1);
        _confirmedCount--;
    }

    /// <summary>Index of <paramref name="sequence"/> among the open writes, or where it would go.</summary>
    private int FindOpen(ulong sequence, out bool found)
    {
        int low = _openStart, high = _openStart + _openCount - 1;
        // Streams claim in increasing order: the usual answer is "after the last".
        if (_openCount == 0 || _open[high].Sequence < sequence)
        {
            found = false;
            return high + 1;
        }

        while (low <= high)
        {
            int middle = low + ((high - low) / 2);
            ulong at = _open[middle].Sequence;
            if (at == sequence)
            {
                found = true;
                return middle;
            }

            if (at < sequence)
            {
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }

        found = false;
        return low;
    }

    private void InsertOpen(int at, Open open)
    {
        int end = _openStart + _openCount;
        if (end == _open.Length)
        {
            if (_openStart > 0)
            {
                // Room freed at the front: move everything down.
                Array.Copy(_open, _openStart, _open, 0, _openCount);
                Array.Clear(_open, _openCount, _openStart);
                at -= _openStart;
                _openStart = 0;
                end = _openCount;
            }
            else
            {
                Array.Resize(ref _open, Math.Max(4, _open.Length * 2));
            }
        }

        Array.Copy(_open, at, _open, at + 1, end - at);
        _open[at] = open;
        _openCount++;
    }

    private void RemoveOpen(int at)
    {
        if (at == _openStart)
        {
            // Kafka confirms in order: the usual case, no copying.
            _open[at] = default;
            _openStart++;
        }
        else
        {
            int end = _openStart + _openCount;
            Array.Copy(_open, at + 1, _open, at, end - at - 1);
            _open[end - 1] = default;
        }

        if (--_openCount == 0)
        {
            _openStart = 0;
            if (_open.Length > 64)
            {
                _open = []; // a large upload's worth: not kept by a device that went idle
            }
        }
    }

    private struct Run(ulong low, ulong high)
    {
        public ulong Low = low;
        public ulong High = high;
    }

    /// <summary>A claimed sequence not confirmed: in flight (told to <see cref="Handler"/>), or failed (no writer until claimed again).</summary>
    private readonly struct Open(ulong sequence, IRecordDeliveryHandler? handler, long token, bool failed)
    {
        public ulong Sequence { get; } = sequence;

        public IRecordDeliveryHandler? Handler { get; } = handler;

        public long Token { get; } = token;

        public bool Failed { get; } = failed;
    }
}
