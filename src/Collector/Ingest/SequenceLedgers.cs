using System.Collections.Concurrent;
using Convoy.Pki;

namespace Convoy.Collector.Ingest;

/// <summary>
/// Every device's <see cref="SequenceLedger"/> in this process, so that all calls for a device,
/// also across reconnects, decide on one ledger. Lost on restart: then a replay is written again
/// and consumers drop it by (device, sequence). Bounded by Collector:MaxTrackedDevices: beyond it
/// about half of the idle ledgers are forgotten (bounded memory over perfect replay detection).
/// </summary>
internal sealed class SequenceLedgers
{
    private readonly ConcurrentDictionary<DeviceIdentity, SequenceLedger> _ledgers = new();
    private readonly int _capacity;

    public SequenceLedgers(CollectorOptions options) => _capacity = options.MaxTrackedDevices;

    public int Count => _ledgers.Count;

    /// <summary>The device's ledger, made on first use.</summary>
    public SequenceLedger For(DeviceIdentity device)
    {
        if (_ledgers.TryGetValue(device, out var ledger))
        {
            return ledger;
        }

        ledger = _ledgers.GetOrAdd(device, static _ => new SequenceLedger());
        if (_ledgers.Count > _capacity)
        {
            Forget(keep: ledger);
        }

        return ledger;
    }

    /// <summary>Forgets about half of the devices (in no particular order), none with a write in flight or failed.</summary>
    private void Forget(SequenceLedger keep)
    {
        int remove = _ledgers.Count / 2;
        foreach (var (device, ledger) in _ledgers)
        {
            if (remove <= 0)
            {
                break;
            }

            if (ledger != keep && !ledger.Busy && _ledgers.TryRemove(new KeyValuePair<DeviceIdentity, SequenceLedger>(device, ledger)))
            {
                remove--;
            }
        }
    }
}
