using System.Collections.Concurrent;
using Convoy.Pki;

namespace Convoy.Collector.Ingest;

/// <summary>
/// The highest sequence acknowledged per device in this process, so a replay of an acknowledged
/// batch is acknowledged again without a second write, also across reconnects. Lost on restart:
/// then a replay is written again and consumers drop it by (device, sequence).
/// </summary>
internal sealed class DeviceHighWaterMarks
{
    private readonly ConcurrentDictionary<DeviceIdentity, ulong> _acked = new();
    private readonly int _capacity;

    public DeviceHighWaterMarks(CollectorOptions options) => _capacity = options.MaxTrackedDevices;

    public int Count => _acked.Count;

    public ulong Get(DeviceIdentity device) => _acked.TryGetValue(device, out ulong sequence) ? sequence : 0;

    public void Advance(DeviceIdentity device, ulong sequence)
    {
        _acked.AddOrUpdate(device, static (_, next) => next, static (_, current, next) => Math.Max(current, next), sequence);
        if (_acked.Count > _capacity)
        {
            Forget();
        }
    }

    /// <summary>Forgets about half of the devices (in no particular order): bounded memory over perfect replay detection.</summary>
    private void Forget()
    {
        int remove = _acked.Count / 2;
        foreach (var device in _acked.Keys)
        {
            if (remove-- <= 0)
            {
                break;
            }

            _acked.TryRemove(device, out _);
        }
    }
}
