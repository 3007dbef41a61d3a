using System.Diagnostics.Metrics;
using Convoy.Contracts.Telemetry.V1;
using Convoy.EdgeAgent;
using Convoy.EdgeAgent.Aggregation;
using Convoy.EdgeAgent.Buffering;
using Convoy.EdgeAgent.Simulation;
using Convoy.EdgeAgent.Uplink;
using Convoy.Pki;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace Convoy.EndToEnd.Tests;

/// <summary>
/// A truck with 10 sensors at 1 Hz is out of reach of any collector for a long time (simulated:
/// the readings carry explicit times, 72 h in a few seconds); its batches wait in the durable
/// buffer; then a collector comes back and everything kept arrives, in order. The disk budget
/// holds; when it is too small the drop policy (oldest aggregated data first, excursions last)
/// is applied and counted.
/// </summary>
public sealed class TruckOfflineTests : IDisposable
{
    private const string Tenant = "reefer-co";
    private const string Device = "rig-10";
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "convoy-offline-" + Guid.NewGuid().ToString("N"));
    private readonly ITestOutputHelper _output;

    public TruckOfflineTests(ITestOutputHelper output) => _output = output;

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [Fact]
    public async Task SeventyTwoHoursOffline_TenSensorsAt1Hz_FitTheDefaultBudget_AndArriveInOrderWhenTheCollectorReturns()
    {
        var defaults = new DurableBufferOptions();
        long startMs = DateTimeOffset.UtcNow.AddHours(-73).ToUnixTimeMilliseconds();
        using var raw = new DurableBatchLog(Tenant, Device, new DurableBufferOptions { Folder = Path.Combine(_folder, "raw") });
        using var aggregated = new DurableBatchLog(Tenant, Device, new DurableBufferOptions { Folder = Path.Combine(_folder, "aggregated") });
        var aggregator = new BatchAggregator(TenSensorAggregation());

        // 72 h offline: every 10 s batch goes raw into one buffer, and through the aggregation into the other.
        var (readingsTaken, readingsKept) = Drive(startMs, TimeSpan.FromHours(72), reeferFailsAfter: TimeSpan.FromHours(30), aggregator, aggregated, raw);

        Assert.Equal(10L * 3600 * 72, readingsTaken);
        Assert.Equal(0, raw.Dropped);
        Assert.Equal(25_920, raw.Count);
        Assert.True(raw.Bytes <= defaults.MaxBytes, $"72 h raw take {raw.Bytes} bytes, over the default budget of {defaults.MaxBytes}");
        Assert.Equal(0, aggregated.Dropped);
        _output.WriteLine($"72 h, 10 sensors at 1 Hz, {readingsTaken:N0} readings: raw {raw.Bytes:N0} bytes on disk ({(double)raw.Bytes / readingsTaken:F2} B/reading, "
            + $"{100.0 * raw.Bytes / defaults.MaxBytes:F1} % of the default {defaults.MaxBytes:N0}); aggregated {readingsKept:N0} readings in {aggregated.Count:N0} batches, "
            + $"{aggregated.Bytes:N0} bytes ({(double)aggregated.Bytes / readingsTaken:F3} B/reading taken)");

        // The collector comes back: everything kept arrives, in order, once.
        await using var collector = await TestCollector.StartAsync([Tenant], "--Collector:MaxBatchAge=3650.00:00:00");
        await DrainAsync(collector, aggregated);

        var records = collector.Telemetry(Tenant);
        Assert.Equal(Enumerable.Range(1, (int)aggregated.LastSequence).Select(i => (ulong)i), records.Select(KafkaTopics.Sequence));
        Assert.Equal(readingsKept, records.Sum(r => BatchAggregator.Count(TelemetryBatch.Parser.ParseFrom(r.Message.Value))));
        AssertEachSensorInTimeOrder(records);
    }

    [Fact]
    public async Task OfflineBeyondASmallBudget_DropsOldestAggregatedBeforeExcursions_CountsIt_AndDeliversTheRestInOrder()
    {
        var options = new DurableBufferOptions { Folder = Path.Combine(_folder, "small"), SegmentBytes = 64 * 1024, MaxBytes = 512 * 1024 };
        var log = new TestLogs();
        long startMs = DateTimeOffset.UtcNow.AddHours(-25).ToUnixTimeMilliseconds();
        using var buffer = new DurableBatchLog(Tenant, Device, options, log);
        var appended = new List<(ulong Sequence, int Readings, bool Excursion)>();

        // 24 h offline; the compressor fails after 6 h and is repaired an hour later.
        Drive(startMs, TimeSpan.FromHours(24), reeferFailsAfter: TimeSpan.FromHours(6), new BatchAggregator(TenSensorAggregation()), buffer, raw: null, appended);

        Assert.True(buffer.Dropped > 0, "24 h of aggregated data should not fit 512 KiB");
        Assert.True(buffer.Bytes <= options.MaxBytes);
        Assert.Contains(appended, a => a.Excursion);

        await using var collector = await TestCollector.StartAsync([Tenant], "--Collector:MaxBatchAge=3650.00:00:00");
        await DrainAsync(collector, buffer);

        var delivered = collector.Telemetry(Tenant).Select(KafkaTopics.Sequence).ToList();
        Assert.Equal(delivered.Order().Distinct().ToList(), delivered); // in order, once
        var kept = delivered.ToHashSet();
        var dropped = appended.Where(a => !kept.Contains(a.Sequence)).ToList();
        Assert.All(appended.Where(a => a.Excursion), a => Assert.Contains(a.Sequence, kept)); // every excursion batch survived
        Assert.All(dropped, d => Assert.False(d.Excursion));
        Assert.True(dropped.Max(d => d.Sequence) < appended.Where(a => !a.Excursion && kept.Contains(a.Sequence)).Min(a => a.Sequence),
            "the oldest aggregated batches went first");
        Assert.Equal(dropped.Count, buffer.Dropped);
        Assert.Equal(dropped.Sum(d => (long)d.Readings), buffer.DroppedReadings);
        Assert.Equal(0, buffer.DroppedExcursionReadings);
        Assert.True(log.Count("BufferDiskBudgetDropped") >= 1);
        _output.WriteLine($"512 KiB budget, 24 h offline: {appended.Count:N0} batches made ({appended.Count(a => a.Excursion):N0} with excursions), "
            + $"{buffer.Dropped:N0} aggregated batches ({buffer.DroppedReadings:N0} readings) dropped, {delivered.Count:N0} delivered");
    }

    /// <summary>The recommended aggregation, plus dead bands for the six other scalar sensors.</summary>
    private static AggregationOptions TenSensorAggregation()
    {
        var options = ReductionReport.Recommended();
        options.Scalars.Mode = AggregationMode.DeadBand;
        options.Scalars.DeadBand = 1;
        options.Scalars.MaxInterval = TimeSpan.FromMinutes(5);
        return options;
    }

    /// <summary>
    /// Drives one simulated truck for <paramref name="duration"/> in 10 s batches: its GPS, two reefer
    /// zones and fuel level, plus six scalar sensors (engine speed, battery, door, humidity, odometer,
    /// a cargo probe): 10 sensors at 1 Hz. Returns the readings taken and the readings buffered after aggregation.
    /// </summary>
    private static (long Taken, long Kept) Drive(long startMs, TimeSpan duration, TimeSpan reeferFailsAfter, BatchAggregator aggregator, DurableBatchLog aggregated,
        DurableBatchLog? raw, List<(ulong, int, bool)>? appended = null)
    {
        var simulator = new SimulatorOptions { Trucks = 1, Seed = 4, ReeferFailures = 1, ReeferFailureAfter = reeferFailsAfter, ReeferRepairAfter = TimeSpan.FromHours(1) };
        simulator.Events.DoorOpeningsPerHour = 1;
        simulator.Events.DoorOpenFor = TimeSpan.FromMinutes(6);
        var truck = new Truck(Device, 0, simulator, startMs);
        var random = new Random(4);
        double odometerKm = 120_000;
        long taken = 0, kept = 0;
        for (long at = startMs; at < startMs + (long)duration.TotalMilliseconds; at += 10_000)
        {
            var batch = new TelemetryBatch();
            taken += truck.Fill(batch, at, 10_000, 1_000);
            var rpm = Scalar(ScalarKind.EngineRpm);
            var battery = Scalar(ScalarKind.BatteryVoltageV);
            var door = Scalar(ScalarKind.ReeferDoorOpen);
            var humidity = Scalar(ScalarKind.HumidityPercent);
            var odometer = Scalar(ScalarKind.OdometerKm);
            var probe = new ScalarColumns { Kind = ScalarKind.Custom, Name = "cargo-probe-c" };
            for (int i = 0; i < 10; i++)
            {
                float speed = batch.Fuel.OffsetMs.Count == 10 && batch.Gps is { } gps && i < gps.SpeedKmh.Count ? gps.SpeedKmh[i] : 0;
                odometerKm += speed / 3600.0;
                Add(rpm, i, speed > 3 ? 1400 : 600);
                Add(battery, i, (float)Math.Round(27.6 + ((random.NextDouble() - 0.5) * 0.1), 2));
                Add(door, i, 0);
                Add(humidity, i, (float)Math.Round(65 + ((random.NextDouble() - 0.5) * 0.6), 1));
                Add(odometer, i, (float)Math.Round(odometerKm, 1));
                Add(probe, i, batch.Temperatures[0].TemperatureC[i] + 1);
            }

            batch.Scalars.Add([rpm, battery, door, humidity, odometer, probe]);
            taken += 60;
            var reduced = aggregator.Reduce(batch);
            if (reduced.Batch is not null)
            {
                ulong sequence = aggregated.Append(reduced.Batch, reduced.Readings, reduced.Excursion);
                appended?.Add((sequence, reduced.Readings, reduced.Excursion));
                kept += reduced.Readings;
            }

            raw?.Append(batch, BatchAggregator.Count(batch));
        }

        var last = aggregator.Flush(Device);
        if (last.Batch is not null)
        {
            ulong sequence = aggregated.Append(last.Batch, last.Readings, last.Excursion);
            appended?.Add((sequence, last.Readings, last.Excursion));
            kept += last.Readings;
        }

        return (taken, kept);

        static ScalarColumns Scalar(ScalarKind kind) => new() { Kind = kind };

        static void Add(ScalarColumns column, int second, float value)
        {
            column.OffsetMs.Add((uint)(second * 1000));
            column.Value.Add(value);
        }
    }

    /// <summary>Runs the agent's uplink for the buffer until the collector acknowledged everything in it.</summary>
    private static async Task DrainAsync(TestCollector collector, DurableBatchLog buffer)
    {
        var (certificate, key) = collector.Certificates.EnsureDevice(new DeviceIdentity(Tenant, Device));
        var trustRoots = CertificateIssuer.LoadPemCertificates(collector.Certificates.AuthorityCertificatePath);
        using var channel = CollectorChannel.Create(collector.Address, new DeviceCertificate("test-device", certificate, key, TimeProvider.System, NullLogger.Instance), trustRoots);
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var options = new EdgeAgentOptions { DevCertificates = true, ReconnectDelay = TimeSpan.FromMilliseconds(100) };
        var uplink = new DeviceUplink(Tenant, buffer, [(collector.Address, channel)], options,
            new EdgeAgentMetrics(services.GetRequiredService<IMeterFactory>()), NullLogger.Instance, TimeProvider.System);
        using var stop = new CancellationTokenSource();
        var running = uplink.RunAsync(stop.Token);
        await Eventually.HoldsAsync(() => buffer.Count == 0 && buffer.Acked == buffer.LastSequence, TimeSpan.FromSeconds(120), "every buffered batch to be acknowledged");
        await stop.CancelAsync();
        await running;
    }

    /// <summary>Per sensor, the readings in Kafka never go back in time (the aggregation's hold-back kept the order).</summary>
    private static void AssertEachSensorInTimeOrder(List<Confluent.Kafka.ConsumeResult<string, byte[]>> records)
    {
        var last = new Dictionary<string, long>();
        foreach (var record in records)
        {
            var batch = TelemetryBatch.Parser.ParseFrom(record.Message.Value);
            foreach (var column in batch.Temperatures)
            {
                Ordered("zone" + column.Zone, batch.BaseTimeUnixMs, column.OffsetMs);
            }

            foreach (var column in batch.Scalars)
            {
                Ordered(column.Kind + column.Name, batch.BaseTimeUnixMs, column.OffsetMs);
            }

            if (batch.Gps is not null)
            {
                Ordered("gps", batch.BaseTimeUnixMs, batch.Gps.OffsetMs);
            }

            if (batch.Fuel is not null)
            {
                Ordered("fuel", batch.BaseTimeUnixMs, batch.Fuel.OffsetMs);
            }
        }

        void Ordered(string sensor, long baseMs, IEnumerable<uint> offsets)
        {
            foreach (uint offset in offsets)
            {
                long time = baseMs + offset;
                Assert.True(!last.TryGetValue(sensor, out long previous) || time >= previous, $"{sensor} went back in time at {time}");
                last[sensor] = time;
            }
        }
    }
}
