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

    public ulong Get(DeviceIdentity device) => _acked.TryGetValue(device, out ulong sequence) ? sequence : 0;

    public void Advance(DeviceIdentity device, ulong sequence) =>
        _acked.AddOrUpdate(device, static (_, next) => next, static (_, current, next) => Math.Max(current, next), sequence);
}
