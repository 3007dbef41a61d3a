using System.Globalization;
using Convoy.EdgeAgent.Buffering;
using Convoy.Pki;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Convoy.EdgeAgent.Simulation;

/// <summary>The simulated trucks, each with its identity and its outgoing buffer.</summary>
internal sealed class SimulatedFleet
{
    public SimulatedFleet(IOptions<EdgeAgentOptions> agent, TimeProvider time, ILogger<Truck>? logger = null)
    {
        var options = agent.Value;
        var simulator = options.Simulator;
        StartMs = time.GetUtcNow().ToUnixTimeMilliseconds() - (long)simulator.StartInPast.TotalMilliseconds;
        var trucks = new List<(DeviceIdentity, Truck, IBatchBuffer)>(simulator.Trucks);
        for (int i = 0; i < simulator.Trucks; i++)
        {
            string device = simulator.DevicePrefix + "-" + (i + 1).ToString("D3", CultureInfo.InvariantCulture);
            trucks.Add((DeviceIdentity.Create(simulator.Tenant, device), new Truck(device, i, simulator, StartMs, logger), new BatchBuffer(device, options.BufferCapacity)));
        }

        Trucks = trucks;
    }

    /// <summary>Simulated start time, ms since the Unix epoch.</summary>
    public long StartMs { get; }

    public IReadOnlyList<(DeviceIdentity Identity, Truck Truck, IBatchBuffer Buffer)> Trucks { get; }
}
