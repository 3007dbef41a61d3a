using System.Net;
using System.Net.Sockets;
using Convoy.Contracts.Telemetry.V1;
using Convoy.EdgeAgent;
using Convoy.Pki;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Convoy.EndToEnd.Tests;

/// <summary>
/// A truck without signal keeps its batches on disk; the agent restarts (power cut, update); when
/// a collector is reachable again everything made before and after the restart arrives, in
/// order, each sequence once: none lost, none reused.
/// </summary>
public sealed class TruckRestartTests : IDisposable
{
    private const string Tenant = "tunnel-co";
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "convoy-restart-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task BatchesMadeOfflineSurviveAnAgentRestart_AndAllArriveOnceInOrder()
    {
        var certificates = DevCertificates.Ensure(_folder);
        certificates.EnsureDevice(new DeviceIdentity(Tenant, "rig-7"));

        // No signal: the only collector address answers nothing.
        ulong offline;
        using (var offlineAgent = Agent(new Uri($"https://127.0.0.1:{ClosedPort()}")))
        {
            await offlineAgent.StartAsync();
            var offlineBuffer = offlineAgent.Services.GetRequiredService<DeviceRegistry>().All[0].Buffer;
            await Eventually.HoldsAsync(() => offlineBuffer.LastSequence >= 3, TimeSpan.FromSeconds(20), "the replayed receiver to fill a few batches");
            offline = offlineBuffer.LastSequence;
            Assert.Equal(0UL, offlineBuffer.Acked);
            await offlineAgent.StopAsync();
        }

        // Signal again, after the restart: a collector to reach, and the receiver still sending.
        await using var collector = await TestCollector.StartAsync(new TestCollectorSetup
        {
            Tenants = [Tenant],
            Folder = _folder,
            Switches = ["--Collector:MaxBatchAge=3650.00:00:00"],
        });
        using var agent = Agent(collector.Address);
        await agent.StartAsync();
        var buffer = agent.Services.GetRequiredService<DeviceRegistry>().All[0].Buffer;
        await Eventually.HoldsAsync(() => buffer.LastSequence > offline && buffer.Acked == buffer.LastSequence && buffer.Count == 0,
            TimeSpan.FromSeconds(30), "the offline batches and the new ones to be acknowledged");
        ulong total = buffer.LastSequence;
        await agent.StopAsync();

        var sequences = collector.Telemetry(Tenant)
            .Select(r => TelemetryBatch.Parser.ParseFrom(r.Message.Value).Sequence).ToList();
        Assert.Equal(Enumerable.Range(1, (int)total).Select(i => (ulong)i), sequences); // in order, once, nothing missing
        Assert.True(total > offline, "the restarted agent continued the sequence instead of reusing it");
    }

    private IHost Agent(Uri collector) => EdgeAgentHost.Build(
    [
        $"--EdgeAgent:Collectors:0={collector}",
        "--EdgeAgent:DevCertificates=true",
        $"--EdgeAgent:CertificatesFolder={_folder}",
        $"--EdgeAgent:Device:Tenant={Tenant}",
        "--EdgeAgent:Device:Id=rig-7",
        "--EdgeAgent:Device:BatchSpan=00:00:01",
        "--EdgeAgent:Nmea:Source=File",
        "--EdgeAgent:MaxBatchAge=3650.00:00:00", // the capture is years old
        $"--EdgeAgent:Nmea:Path={TestData.NmeaCapture("nmea-fuzzy-cases.log")}",
        "--EdgeAgent:Nmea:Pacing=AsFastAsPossible",
        $"--EdgeAgent:Buffer:Folder={Path.Combine(_folder, "buffer")}",
        "--EdgeAgent:Buffer:FsyncPolicy=EveryBatch",
        "--EdgeAgent:ReconnectDelay=00:00:00.2",
    ]);

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
