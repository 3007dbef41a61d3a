using Convoy.AlertEngine;
using Convoy.Contracts;
using Convoy.Contracts.Alerts.V1;
using Convoy.Contracts.Telemetry.V1;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Convoy.EndToEnd.Tests;

/// <summary>
/// Issue 12.2: a partner token with 'ingest' for tenant acme uploaded one batch for a real device
/// with sequence 10^15; afterwards the device's own batches (its certificate, Stream and Upload)
/// were acknowledged at 10^15 and never written, and the alert engine dropped them as duplicates.
/// Each sender now numbers a device's batches in a sequence space of its own, in the collector,
/// in the records (header convoy-sender) and in the alert engine's de-duplication.
/// </summary>
public sealed class PartnerCannotBlackholeADeviceTests : IAsyncLifetime
{
    private const string Tenant = "acme";
    private const string Device = "truck-1";
    private const ulong Huge = 1_000_000_000_000_000;
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "convoy-blackhole-" + Guid.NewGuid().ToString("N"));
    private TestPartner _partner = null!;
    private TestCollector _collector = null!;
    private IHost _engine = null!;

    public async Task InitializeAsync()
    {
        _partner = new TestPartner(_folder);
        _collector = await TestCollector.StartAsync([Tenant], _partner.Switches());
        _collector.Kafka.CreateTopic(TelemetryRecordHeaders.AlertTopic(Tenant), partitions: 1);
        _collector.Kafka.SetGroupInitialRebalanceDelay(TimeSpan.Zero);
        _engine = AlertEngineHost.Build(["--AlertEngine:MetricsPort=0", "--AlertEngine:GroupId=blackhole-" + Guid.NewGuid().ToString("N")], services => services.AddSingleton(_collector.Kafka));
        await _engine.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _engine.StopAsync();
        _engine.Dispose();
        await _collector.DisposeAsync();
        _partner.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task PartnerUploadsSequence10To15ForADevice_ThenEveryBatchOfTheDeviceLands_AcrossACollectorRestart_AndItsExcursionAlerts()
    {
        long start = DateTimeOffset.UtcNow.AddMinutes(-40).ToUnixTimeMilliseconds();
        var acks = new List<ulong>();

        // The attack: one batch for the real device, sequence 10^15. It is the partner's to send, in its own space.
        using (var channel = TestPartner.Channel(_collector))
        {
            string jwt = TestPartner.Mint(_partner.EcSigning, Tenant, new[] { "ingest" });
            var partnerAck = await new Ingest.IngestClient(channel).UploadAsync(new UploadRequest { Batches = { Batch(Huge, start, 4f) } },
                TestPartner.Bearer(jwt), DateTime.UtcNow.AddSeconds(30));
            Assert.Equal(Huge, Assert.Single(partnerAck.Acks).AckedSequence);
        }

        // The device's own batches, on a stream and in an upload.
        using (var device = _collector.Device(Tenant, Device))
        {
            acks.AddRange((await device.SendAsync(Batch(1, start + Minutes(5), 4f), Batch(2, start + Minutes(6), 4f), Batch(3, start + Minutes(7), 4f)))
                .Select(a => a.AckedSequence));
            var uploaded = await device.Client.UploadAsync(new UploadRequest { Batches = { Batch(4, start + Minutes(8), 4f) } }, deadline: DateTime.UtcNow.AddSeconds(30));
            acks.Add(Assert.Single(uploaded.Acks).AckedSequence);
        }

        // The collector restarts (its memory of sequences is gone); the device goes on: an 8-minute 12 °C excursion.
        await _collector.RestartAsync();
        using (var device = _collector.Device(Tenant, Device))
        {
            var excursion = Enumerable.Range(0, 9).Select(i => Batch((ulong)(5 + i), start + Minutes(10 + i), 12f)).ToArray();
            acks.AddRange((await device.SendAsync(excursion)).Select(a => a.AckedSequence));
        }

        Assert.All(acks, a => Assert.InRange(a, 1UL, 13UL)); // never the partner's sequence
        Assert.Equal(13UL, acks[^1]);
        var records = _collector.Telemetry(Tenant);
        var own = records.Where(r => !r.Message.Headers.TryGetLastBytes(TelemetryRecordHeaders.Sender, out _)).Select(KafkaTopics.Sequence).Order();
        Assert.Equal(Enumerable.Range(1, 13).Select(s => (ulong)s), own); // every batch of the device, once
        var theirs = Assert.Single(records, r => r.Message.Headers.TryGetLastBytes(TelemetryRecordHeaders.Sender, out _));
        Assert.Equal(("partner:dispatch-app", Huge), (KafkaTopics.Header(theirs, TelemetryRecordHeaders.Sender), KafkaTopics.Sequence(theirs)));

        // The alert engine evaluated the device's batches: not dropped as duplicates of the partner's 10^15.
        var alert = await Eventually.ReturnsAsync(() => Task.FromResult(Alerts().FirstOrDefault()), a => a is not null, EngineOnKafkaPatience,
            "the alert engine to alert on the device's excursion");
        Assert.Equal((Device, AlertState.Firing, "reefer-too-warm"), (alert!.DeviceId, alert.State, alert.RuleId));
    }

    private static readonly TimeSpan EngineOnKafkaPatience = TimeSpan.FromSeconds(60);

    private static long Minutes(int m) => m * 60_000L;

    /// <summary>A minute of reefer zone 1 at <paramref name="celsius"/>, two readings, from <paramref name="baseMs"/>.</summary>
    private static TelemetryBatch Batch(ulong sequence, long baseMs, float celsius)
    {
        var batch = new TelemetryBatch { DeviceId = Device, Sequence = sequence, BaseTimeUnixMs = baseMs };
        var zone = new TemperatureColumns { Zone = 1 };
        zone.OffsetMs.Add([0, 30_000]);
        zone.TemperatureC.Add([celsius, celsius]);
        batch.Temperatures.Add(zone);
        return batch;
    }

    private List<Alert> Alerts() =>
        [.. KafkaTopics.ReadAll(_collector.Kafka.BootstrapServers, TelemetryRecordHeaders.AlertTopic(Tenant)).Select(r => Alert.Parser.ParseFrom(r.Message.Value))];
}
