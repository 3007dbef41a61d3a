using Convoy.EdgeAgent.Buffering;
using Convoy.Pki;

namespace Convoy.EdgeAgent;

/// <summary>The devices this agent uplinks for, each with its outgoing buffer: one real truck, or the simulated fleet.</summary>
internal sealed class DeviceRegistry
{
    public DeviceRegistry(IReadOnlyList<(DeviceIdentity Identity, IBatchBuffer Buffer)> devices) => All = devices;

    public IReadOnlyList<(DeviceIdentity Identity, IBatchBuffer Buffer)> All { get; }
}
