using Convoy.Contracts.Telemetry.V1;

namespace Convoy.EdgeAgent.Buffering;

/// <summary>
/// One device's outgoing batches, from the moment they are made until the collector acknowledged
/// them. The in-memory <see cref="BatchBuffer"/> and the on-disk <see cref="DurableBatchLog"/> both
/// offer it, so inputs and the uplink do not care which one holds the batches.
/// What must stay true: sequences are handed out strictly increasing from 1 and never reused;
/// <see cref="TryGetNext"/> returns a batch byte for byte as it was appended.
/// </summary>
internal interface IBatchBuffer
{
    string Device { get; }

    /// <summary>Highest sequence the collector acknowledged.</summary>
    ulong Acked { get; }

    /// <summary>Highest sequence handed out so far (0 before the first batch).</summary>
    ulong LastSequence { get; }

    /// <summary>Batches dropped (never sent) because the buffer was full or its files were damaged.</summary>
    long Dropped { get; }

    /// <summary>Batches kept and not yet acknowledged.</summary>
    int Count { get; }

    /// <summary>Bytes those batches take (on disk for the durable buffer, in memory otherwise).</summary>
    long Bytes { get; }

    /// <summary>
    /// Stamps the next sequence on the batch, encodes and keeps it. Returns the sequence.
    /// <paramref name="excursion"/> marks a batch holding readings kept raw around an excursion:
    /// the durable buffer drops those last when its disk budget is exceeded.
    /// </summary>
    ulong Append(TelemetryBatch batch, int readings, bool excursion = false);

    /// <summary>
    /// Makes what was appended so far survive a power cut as far as the buffer can (an fsync on disk,
    /// unless its policy is never to; nothing in memory): called before a source that would send
    /// again is told its readings are stored.
    /// </summary>
    void MakeDurable();

    /// <summary>The first kept batch with a sequence above <paramref name="after"/>.</summary>
    bool TryGetNext(ulong after, out ulong sequence, out byte[] bytes);

    /// <summary>Forgets every batch up to and including <paramref name="sequence"/>; returns their count and readings.</summary>
    (int Batches, long Readings) Acknowledge(ulong sequence);

    /// <summary>
    /// Takes the oldest kept batch, <paramref name="sequence"/>, off the send path for good because
    /// the collector refused its content (INVALID_ARGUMENT): it is kept in the dead-letter area
    /// with the collector's <paramref name="reason"/>, for <c>check</c> and for export, and is
    /// otherwise forgotten like an acknowledged batch, so the batches behind it go on.
    /// </summary>
    /// <exception cref="InvalidOperationException">The batch is not the oldest kept one: dead-lettering it would drop those before it.</exception>
    void DeadLetter(ulong sequence, string reason);

    /// <summary>Batches taken off the send path by <see cref="DeadLetter"/> since this buffer was opened.</summary>
    long DeadLettered { get; }

    /// <summary>Completes when something changed (a batch was added or acknowledged) since the last wait.</summary>
    ValueTask WaitForChangeAsync(CancellationToken cancellationToken);
}
