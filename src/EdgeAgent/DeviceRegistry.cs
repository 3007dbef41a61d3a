using Convoy.EdgeAgent.Buffering;
using Convoy.Pki;

namespace Convoy.EdgeAgent;

/// <summary>The devices this agent uplinks for, each with its outgoing buffer: one real truck, or the simulated fleet.</summary>
internal sealed class DeviceRegistry : IDisposable
{
    public DeviceRegistry(IReadOnlyList<(DeviceIdentity Identity, IBatchBuffer Buffer)> devices) => All = devices;

    public IReadOnlyList<(DeviceIdentity Identity, IBatchBuffer Buffer)> All { get; }

    /// <summary>Closes the buffers that hold files (the durable log flushes and releases them).</summary>
    public void Dispose()
    {
        foreach (var (_, buffer) in All)
        {
            (buffer as IDisposable)?.Dispose();
        }
    }
}
