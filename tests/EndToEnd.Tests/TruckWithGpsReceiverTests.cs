using Convoy.Contracts.Telemetry.V1;
using Convoy.EdgeAgent;
using Convoy.Pki;
using Microsoft.Extensions.DependencyInjection;

namespace Convoy.EndToEnd.Tests;

/// <summary>
/// The agent on a real truck: GPS from an NMEA 0183 receiver (here a real capture replayed from
/// tests/data/nmea), cut into batches, sent over mTLS and acknowledged, positions intact.
/// </summary>
public sealed class TruckWithGpsReceiverTests : IAsyncLifetime
{
    private const string Tenant = "gps-fleet";
    private TestCollector _collector = null!;

    // The capture is from 2020: accept readings that old.
    public async Task InitializeAsync() => _collector = await TestCollector.StartAsync([Tenant], "--Collector:MaxBatchAge=3650.00:00:00");

    public async Task DisposeAsync() => await _collector.DisposeAsync();

    [Fact]
    public async Task ReplayedReceiver_EveryValidFixArrivesInKafka_WithExactCoordinates()
    {
        _collector.Certificates.EnsureDevice(new DeviceIdentity(Tenant, "rtk-truck"));
        using var agent = EdgeAgentHost.Build(
        [
            $"--EdgeAgent:Collectors:0={_collector.Address}",
            "--EdgeAgent:DevCertificates=true",
            $"--EdgeAgent:CertificatesFolder={_collector.Folder}",
            $"--EdgeAgent:Device:Tenant={Tenant}",
            "--EdgeAgent:Device:Id=rtk-truck",
            "--EdgeAgent:Device:BatchSpan=00:00:02",
            "--EdgeAgent:Nmea:Source=File",
            "--EdgeAgent:MaxBatchAge=3650.00:00:00", // the capture is years old
            $"--EdgeAgent:Nmea:Path={TestData.NmeaCapture("nmea-fuzzy-cases.log")}",
            "--EdgeAgent:Nmea:Pacing=AsFastAsPossible",
            $"--EdgeAgent:Buffer:Folder={Path.Combine(_collector.Folder, "buffer")}",
        ]);

        await agent.StartAsync();
        var buffer = agent.Services.GetRequiredService<DeviceRegistry>().All[0].Buffer;
        await Eventually.HoldsAsync(() => buffer.LastSequence > 0 && buffer.Acked == buffer.LastSequence && buffer.Count == 0,
            TimeSpan.FromSeconds(30), "every batch of the replayed capture to be acknowledged");
        await agent.StopAsync();

        var batches = _collector.Telemetry(Tenant)
            .Select(r => TelemetryBatch.Parser.ParseFrom(r.Message.Value)).OrderBy(b => b.Sequence).ToList();
        Assert.Equal(Enumerable.Range(1, batches.Count).Select(i => (ulong)i), batches.Select(b => b.Sequence));
        Assert.Equal(buffer.LastSequence, (ulong)batches.Count);
        var first = batches[0].Gps;
        // $GPGGA,132820.60,4134.49821229,N,09345.03351845,W: degrees and minutes, exactly.
        Assert.Equal(41 + (34.49821229 / 60), first.LatitudeDeg[0], 1e-9);
        Assert.Equal(-(93 + (45.03351845 / 60)), first.LongitudeDeg[0], 1e-9);
        Assert.Equal(new DateTimeOffset(2020, 3, 18, 13, 28, 20, 600, TimeSpan.Zero).ToUnixTimeMilliseconds(), batches[0].BaseTimeUnixMs);
        Assert.All(batches, b => Assert.True(b.Gps.OffsetMs.Count > 0));
    }
}
