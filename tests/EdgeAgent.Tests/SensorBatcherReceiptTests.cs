using System.Diagnostics.Metrics;
using Convoy.Contracts.Telemetry.V1;
using Convoy.EdgeAgent.Batching;
using Convoy.EdgeAgent.Buffering;
using Convoy.EdgeAgent.Inputs;
using Convoy.EdgeAgent.Inputs.Mqtt;
using Convoy.Pki;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using static Convoy.EdgeAgent.Tests.TestAdmission;

namespace Convoy.EdgeAgent.Tests;

/// <summary>
/// Readings whose source sends again what it was not told is stored (MQTT QoS 1): the source hears
/// "stored" only once the batch is durable in the buffer, and after a restart what it sends again
/// is recognised as stored and not buffered twice.
/// </summary>
public sealed class SensorBatcherReceiptTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "convoy-receipts-" + Guid.NewGuid().ToString("N"));
    private readonly long _start = DateTimeOffset.UtcNow.AddMinutes(-30).ToUnixTimeMilliseconds();

    public void Dispose()
    {
        _services.Dispose();
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [Fact]
    public async Task Receipts_AreHandedBackOnlyOnceTheirBatchIsInTheBuffer()
    {
        using var devices = Devices(out var buffer);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var (batcher, readings, zone1) = Batcher(devices, span: TimeSpan.FromHours(1), unacknowledgedLimit: 1000, time);
        await batcher.StartAsync(CancellationToken.None);
        var receipts = Enumerable.Range(0, 20).Select(_ => new Receipt(buffer)).ToList();

        for (int i = 0; i < receipts.Count; i++)
        {
            await readings.Writer.WriteAsync(new SensorReading(zone1, _start + (i * 1000L), -18f, receipts[i]));
        }

        // Every reading is in the open batch, and its span (an hour on the clock) has not passed.
        await Eventually.HoldsAsync(() => batcher.ReceiptsWaiting == 20, TimeSpan.FromSeconds(10), "the batcher to take all 20 readings into its open batch");
        Assert.All(receipts, r => Assert.False(r.Stored));
        Assert.Equal(0, buffer.Count);

        // The span passes: the batch is cut and stored, and only then is each receipt handed back.
        time.Advance(TimeSpan.FromHours(1));
        await Eventually.HoldsAsync(() => receipts.All(r => r.Stored), TimeSpan.FromSeconds(10), "every receipt to be handed back once the span passed");
        Assert.All(receipts, r => Assert.Equal(1, r.BatchesInBufferWhenStored));
        Assert.Equal(0, batcher.ReceiptsWaiting);
        Assert.Equal(20, Readings(buffer).Count);
        await batcher.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task AStop_CutsAndStoresTheOpenBatch_BeforeItsReceiptsAreHandedBack()
    {
        using var devices = Devices(out var buffer);
        var (batcher, readings, zone1) = Batcher(devices, span: TimeSpan.FromHours(1), unacknowledgedLimit: 1000, new FakeTimeProvider(DateTimeOffset.UtcNow));
        await batcher.StartAsync(CancellationToken.None);
        var receipts = Enumerable.Range(0, 20).Select(_ => new Receipt(buffer)).ToList();
        for (int i = 0; i < receipts.Count; i++)
        {
            await readings.Writer.WriteAsync(new SensorReading(zone1, _start + (i * 1000L), -18f, receipts[i]));
        }

        await Eventually.HoldsAsync(() => batcher.ReceiptsWaiting == 20, TimeSpan.FromSeconds(10), "the batcher to take all 20 readings into its open batch");
        await batcher.StopAsync(CancellationToken.None); // a clean stop cuts and stores it

        Assert.All(receipts, r => Assert.True(r.Stored));
        Assert.All(receipts, r => Assert.Equal(1, r.BatchesInBufferWhenStored));
        Assert.Equal(20, Readings(buffer).Count);
    }

    [Fact]
    public async Task MoreUnacknowledgedReadingsThanTheLimit_CutBatches_SoNoneWaitsForever()
    {
        using var devices = Devices(out var buffer);
        var (batcher, readings, zone1) = Batcher(devices, span: TimeSpan.FromHours(1), unacknowledgedLimit: 10);
        await batcher.StartAsync(CancellationToken.None);
        var receipts = Enumerable.Range(0, 35).Select(_ => new Receipt(buffer)).ToList();

        for (int i = 0; i < receipts.Count; i++)
        {
            await readings.Writer.WriteAsync(new SensorReading(zone1, _start + (i * 1000L), -18f, receipts[i]));
        }

        await Eventually.HoldsAsync(() => receipts.Take(30).All(r => r.Stored), TimeSpan.FromSeconds(10), "the first 30 receipts to be handed back");

        Assert.Equal(3, buffer.Count); // three batches of ten, the last five still open within the span
        Assert.All(receipts.Skip(30), r => Assert.False(r.Stored));
        await batcher.StopAsync(CancellationToken.None);
        Assert.All(receipts, r => Assert.True(r.Stored));
    }

    [Fact]
    public async Task ReadingsSentAgainAfterARestart_AreDuplicates_AndNotBufferedTwice()
    {
        // First life: 30 readings stored; the collector acknowledged everything (so the buffer
        // keeps nothing), but the agent died before telling the broker.
        using (var devices = Devices(out var buffer))
        {
            await LiveAsync(devices, Enumerable.Range(0, 30).Select(_ => new Receipt(buffer)).ToList());
            Assert.Equal(30, Readings(buffer).Count);
            buffer.Acknowledge(buffer.LastSequence);
        }

        // Second life: the broker sends the 30 again, then 5 new ones.
        using (var devices = Devices(out var buffer))
        {
            var again = Enumerable.Range(0, 35).Select(_ => new Receipt(buffer)).ToList();
            var batcher = await LiveAsync(devices, again);

            Assert.All(again, r => Assert.True(r.Stored));
            Assert.Equal(Enumerable.Range(30, 5).Select(i => _start + (i * 1000L)), Readings(buffer));
            Assert.Equal(30, batcher.Duplicates);
        }
    }

    [Fact]
    public async Task MarksBehindTheBuffer_AreRaisedFromTheBatchesItStillKeeps()
    {
        // The agent died after storing a batch and before saving the marks: the batch is still in
        // the buffer (not yet acknowledged by the collector), and the readings come again.
        using (var devices = Devices(out var buffer))
        {
            await LiveAsync(devices, Enumerable.Range(0, 10).Select(_ => new Receipt(buffer)).ToList());
        }

        File.Delete(Path.Combine(_folder, "acme", "truck-1", SensorHighWaterMarks.FileName));

        using (var devices = Devices(out var buffer))
        {
            var batcher = await LiveAsync(devices, Enumerable.Range(0, 10).Select(_ => new Receipt(buffer)).ToList());

            Assert.Equal(10, Readings(buffer).Count); // the first life's ten, not twenty
            Assert.Equal(10, batcher.Duplicates);
        }
    }

    /// <summary>
    /// One life of the agent's batcher: reading i (zone 1, -18 °C, at start + i s) arrives with
    /// receipt i, the running batcher takes them all, then the agent stops cleanly.
    /// </summary>
    private async Task<SensorBatcher> LiveAsync(DeviceRegistry devices, List<Receipt> receipts)
    {
        var (batcher, readings, zone1) = Batcher(devices, span: TimeSpan.FromHours(1), unacknowledgedLimit: 1000);
        await batcher.StartAsync(CancellationToken.None);
        for (int i = 0; i < receipts.Count; i++)
        {
            await readings.Writer.WriteAsync(new SensorReading(zone1, _start + (i * 1000L), -18f, receipts[i]));
        }

        await Eventually.HoldsAsync(() => batcher.ReceiptsWaiting + batcher.Receipted == receipts.Count, TimeSpan.FromSeconds(10),
            "the running batcher to take every reading (a stop at once would skip them)");
        await batcher.StopAsync(CancellationToken.None);
        return batcher;
    }

    private DeviceRegistry Devices(out DurableBatchLog buffer)
    {
        buffer = new DurableBatchLog("acme", "truck-1", new DurableBufferOptions { Folder = _folder, FsyncPolicy = FsyncPolicy.Interval });
        return new DeviceRegistry([(DeviceIdentity.Create("acme", "truck-1"), buffer)]);
    }

    private (SensorBatcher Batcher, SensorReadings Readings, int Zone1) Batcher(DeviceRegistry devices, TimeSpan span, int unacknowledgedLimit, TimeProvider? time = null)
    {
        var agent = new EdgeAgentOptions();
        agent.Device.Tenant = "acme";
        agent.Device.Id = "truck-1";
        agent.Device.BatchSpan = span;
        var mqtt = new MqttOptions { Enabled = true };
        mqtt.Validated("truck-1");
        var catalog = mqtt.CreateCatalog();
        Assert.True(catalog.TryFind("reefer.zone1.temperature", out int zone1));
        var readings = new SensorReadings(unacknowledgedLimit: unacknowledgedLimit);
        var metrics = new EdgeAgentMetrics(_services.GetRequiredService<IMeterFactory>());
        time ??= TimeProvider.System;
        var batcher = new SensorBatcher(readings, catalog, devices, Options.Create(agent), Admission(agent, metrics, time), metrics, time);
        return (batcher, readings, zone1);
    }

    private static List<long> Readings(DurableBatchLog buffer)
    {
        var times = new List<long>();
        for (ulong after = buffer.Acked; buffer.TryGetNext(after, out ulong sequence, out byte[] bytes); after = sequence)
        {
            var batch = TelemetryBatch.Parser.ParseFrom(bytes);
            times.AddRange(batch.Temperatures.SelectMany(t => t.OffsetMs.Select(o => batch.BaseTimeUnixMs + o)));
        }

        return times;
    }

    /// <summary>Records when it was handed back and how many batches the buffer held then.</summary>
    private sealed class Receipt(DurableBatchLog buffer) : IReadingReceipt
    {
        public bool Stored { get; private set; }

        public int BatchesInBufferWhenStored { get; private set; } = -1;

        public Task StoredAsync()
        {
            BatchesInBufferWhenStored = buffer.Count;
            Stored = true;
            return Task.CompletedTask;
        }
    }
}
