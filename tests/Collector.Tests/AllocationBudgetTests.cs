using System.Text.Json;
using Convoy.Collector.Authentication;
using Convoy.Collector.Validation;
using Convoy.Contracts.Telemetry.V1;
using Convoy.Pki;
using Google.Protobuf;

namespace Convoy.Collector.Tests;

/// <summary>
/// The hot path's allocation budget (bench/allocation-budget.json), measured in bytes, not time,
/// so it holds on a noisy shared machine: reading and validating a batch must stay within it
/// whatever the batch size.
/// </summary>
public sealed class AllocationBudgetTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(60)]
    [InlineData(3600)]
    public void ValidateInPlace_AllocatesNoMoreThanItsBudget(int readingsPerSensor)
    {
        long budget = Budget("validateBatchInPlace");
        var validator = new BatchValidator(new CollectorOptions());
        var sender = new AuthenticatedDevice(new DeviceIdentity("acme", "truck-1"));
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        byte[] payload = Batch(readingsPerSensor, now).ToByteArray();
        validator.Validate(payload, sender, now, out _); // warm up (JIT, statics)

        const int Batches = 1000;
        long before = GC.GetAllocatedBytesForCurrentThread();
        int readings = 0;
        for (int i = 0; i < Batches; i++)
        {
            readings += validator.Validate(payload, sender, now, out _).Readings;
        }

        long perBatch = (GC.GetAllocatedBytesForCurrentThread() - before) / Batches;
        Assert.Equal(Batches * readingsPerSensor * 5, readings);
        Assert.True(perBatch <= budget, $"validating a batch allocated {perBatch} bytes; the budget is {budget}");
    }

    private static long Budget(string name)
    {
        using var budgets = JsonDocument.Parse(File.ReadAllText(Repository.PathOf("bench", "allocation-budget.json")));
        return budgets.RootElement.GetProperty(name).GetInt64();
    }

    private static TelemetryBatch Batch(int readingsPerSensor, long now)
    {
        var batch = new TelemetryBatch { DeviceId = "truck-1", Sequence = 1, BaseTimeUnixMs = now - 3_600_000, Gps = new GpsColumns(), Fuel = new FuelColumns() };
        var zones = new[] { new TemperatureColumns { Zone = 1 }, new TemperatureColumns { Zone = 2 } };
        var door = new ScalarColumns { Kind = ScalarKind.ReeferDoorOpen };
        for (int i = 0; i < readingsPerSensor; i++)
        {
            uint offset = (uint)i * 1000;
            batch.Gps.OffsetMs.Add(offset);
            batch.Gps.LatitudeDeg.Add(52.3);
            batch.Gps.LongitudeDeg.Add(4.9);
            batch.Gps.SpeedKmh.Add(70);
            batch.Gps.HeadingDeg.Add(10);
            foreach (var zone in zones)
            {
                zone.OffsetMs.Add(offset);
                zone.TemperatureC.Add(3);
            }

            batch.Fuel.OffsetMs.Add(offset);
            batch.Fuel.LevelPercent.Add(50);
            door.OffsetMs.Add(offset);
            door.Value.Add(0);
        }

        batch.Temperatures.Add(zones);
        batch.Scalars.Add(door);
        return batch;
    }
}
