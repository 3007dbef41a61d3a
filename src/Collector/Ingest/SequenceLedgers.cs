using System.Collections.Concurrent;
namespace Convoy.Collector.Ingest;

/// <summary>
/// Every <see cref="SequenceSpace"/>'s <see cref="SequenceLedger"/> in this process (a device's own,
/// and one per partner writing for it), so that all calls of a sender for a device, also across
/// reconnects, decide on one ledger. Lost on restart: then a replay is written again
/// and consumers drop it by (device, sequence). Bounded by Collector:MaxTrackedDevices: beyond it
/// about half of the idle ledgers are forgotten (bounded memory over perfect replay detection).
/// </summary>
internal sealed class SequenceLedgers
{
    private readonly ConcurrentDictionary<SequenceSpace, SequenceLedger> _ledgers = new();
    private readonly int _capacity;

    public SequenceLedgers(CollectorOptions options) => _capacity = options.MaxTrackedDevices;

    public int Count => _ledgers.Count;

    /// <summary>The space's ledger, made on first use.</summary>
    public SequenceLedger For(SequenceSpace space)
    {
        if (_ledgers.TryGetValue(space, out var ledger))
        {
            return ledger;
        }

        ledger = _ledgers.GetOrAdd(space, static _ => new SequenceLedger());
        if (_ledgers.Count > _capacity)
        {
            Forget(keep: ledger);
        }

        return ledger;
    }

    /// <summary>Forgets about half of the spaces (in no particular order), none with a write in flight or failed.</summary>
    private void Forget(SequenceLedger keep)
    {
        int remove = _ledgers.Count / 2;
        foreach (var (space, ledger) in _ledgers)
        {
            if (remove <= 0)
            {
                break;
            }

            if (ledger != keep && !ledger.Busy && _ledgers.TryRemove(new KeyValuePair<SequenceSpace, SequenceLedger>(space, ledger)))
            {
                remove--;
            }
        }
    }
}
