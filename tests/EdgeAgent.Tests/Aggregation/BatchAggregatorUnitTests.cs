using Convoy.Contracts.Telemetry;
using Convoy.Contracts.Telemetry.V1;
using Convoy.EdgeAgent.Aggregation;
using Convoy.EdgeAgent.Simulation;
using Google.Protobuf;

namespace Convoy.EdgeAgent.Tests.Aggregation;

public sealed class BatchAggregatorUnitTests
{
    private const long Start = 1_700_000_000_000;

    [Fact]
    public void Reduce_SimulatedTruckWithAFailingReefer_SendsValidOrderedBatchesAndEveryExcursionReadingRaw()
    {
        var fleet = ReductionReport.Fleet(trucks: 1, seed: 2);
        var truck = new Truck("truck-001", 0, fleet, Start);
        var aggregator = new BatchAggregator(ReductionReport.Recommended());
        var rawAbove8 = new List<(long, float)>();
        var sent = new List<(long Time, float Value)>();
        var lastTime = new Dictionary<string, long>();
        int readingsIn = 0, readingsOut = 0, flagged = 0;

        for (long at = Start; at < Start + (6 * 3_600_000L); at += 10_000)
        {
            var raw = new TelemetryBatch();
            readingsIn += truck.Fill(raw, at, 10_000, 1_000);
            var zone1 = raw.Temperatures[0];
            for (int i = 0; i < zone1.OffsetMs.Count; i++)
            {
                if (zone1.TemperatureC[i] > 8)
                {
                    rawAbove8.Add((at + zone1.OffsetMs[i], zone1.TemperatureC[i]));
                }
            }

            var reduced = aggregator.Reduce(raw);
            if (reduced.Batch is null)
            {
                continue;
            }

            readingsOut += reduced.Readings;
            Assert.Equal(BatchAggregator.Count(reduced.Batch), reduced.Readings);
            reduced.Batch.Sequence = 1;
            byte[] bytes = reduced.Batch.ToByteArray();
            Assert.True(BatchView.TryRead(bytes, out var view, out string? problem), problem);
            Assert.Equal("truck-001"u8.ToArray(), view.DeviceId.ToArray());
            foreach (var column in reduced.Batch.Temperatures)
            {
                Ordered($"zone {column.Zone}", reduced.Batch.BaseTimeUnixMs, column.OffsetMs, lastTime);
                if (column.Zone == 1)
                {
                    for (int i = 0; i < column.OffsetMs.Count; i++)
                    {
                        sent.Add((reduced.Batch.BaseTimeUnixMs + column.OffsetMs[i], column.TemperatureC[i]));
                    }
                }

                if (column.Zone == 1 && column.TemperatureC.Any(t => t > 8))
                {
                    Assert.True(reduced.Excursion, "a batch holding an excursion reading must be flagged");
                }
            }

            if (reduced.Batch.Gps is { } gps)
            {
                Ordered("gps", reduced.Batch.BaseTimeUnixMs, gps.OffsetMs, lastTime);
            }

            if (reduced.Batch.Fuel is { } fuel)
            {
                Ordered("fuel", reduced.Batch.BaseTimeUnixMs, fuel.OffsetMs, lastTime);
            }

            flagged += reduced.Excursion ? 1 : 0;
        }

        Assert.NotEmpty(rawAbove8); // the compressor failed after 2 h
        Assert.All(rawAbove8, reading => Assert.Contains(reading, sent));
        Assert.True(flagged > 0);
        Assert.True(readingsOut * 5 < readingsIn, $"{readingsOut} of {readingsIn} readings sent");
    }

    [Fact]
    public void Reduce_DefaultOptions_PassesTheBatchThroughUntouched()
    {
        var truck = new Truck("truck-001", 0, new SimulatorOptions { Trucks = 1 }, Start);
        var raw = new TelemetryBatch();
        int readings = truck.Fill(raw, Start, 10_000, 1_000);
        var copy = raw.Clone();

        var reduced = new BatchAggregator(new AggregationOptions()).Reduce(raw);

        Assert.Equal(copy, reduced.Batch);
        Assert.Equal(readings, reduced.Readings);
        Assert.False(reduced.Excursion);
    }

    [Fact]
    public void Measure_RawAndRecommended_RawKeepsEveryReadingAndAggregationSavesWireBytes()
    {
        var fleet = ReductionReport.Fleet(trucks: 2, seed: 1);

        var raw = ReductionReport.Measure("raw", fleet, new AggregationOptions(), TimeSpan.FromHours(3));
        var aggregated = ReductionReport.Measure("aggregated", fleet, ReductionReport.Recommended(), TimeSpan.FromHours(3));

        Assert.Equal(raw.ReadingsIn, raw.ReadingsOut);
        Assert.Equal(raw.ReadingsIn, aggregated.ReadingsIn);
        Assert.True(aggregated.Ratio > 5, $"ratio {aggregated.Ratio}");
        Assert.True(aggregated.WireBytes * 2 < raw.WireBytes, $"{aggregated.WireBytes} vs {raw.WireBytes} bytes on the wire");
    }

    [Theory]
    [InlineData("EdgeAgent:Aggregation:Temperature:Window")]
    [InlineData("EdgeAgent:Aggregation:Gps:MinTurnDeg")]
    [InlineData("EdgeAgent:Aggregation:TemperatureZones:9")]
    [InlineData("EdgeAgent:Aggregation:Fuel:ExcursionAbove")]
    public void Validate_NamesTheBadKey(string key)
    {
        var options = new AggregationOptions();
        switch (key)
        {
            case "EdgeAgent:Aggregation:Temperature:Window":
                options.Temperature.Window = TimeSpan.Zero;
                break;
            case "EdgeAgent:Aggregation:Gps:MinTurnDeg":
                options.Gps.MinTurnDeg = 200;
                break;
            case "EdgeAgent:Aggregation:TemperatureZones:9":
                options.TemperatureZones["9"] = new SensorAggregationOptions();
                break;
            default:
                options.Fuel.ExcursionBelow = 10;
                options.Fuel.ExcursionAbove = 5;
                break;
        }

        var e = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => options.Validated());
        Assert.Contains(key, e.Message, StringComparison.Ordinal);
    }

    private static void Ordered(string sensor, long baseMs, Google.Protobuf.Collections.RepeatedField<uint> offsets, Dictionary<string, long> lastTime)
    {
        foreach (uint offset in offsets)
        {
            long time = baseMs + offset;
            Assert.True(!lastTime.TryGetValue(sensor, out long last) || time >= last, $"{sensor} went back in time");
            lastTime[sensor] = time;
        }
    }
}
