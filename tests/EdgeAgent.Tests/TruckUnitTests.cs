using Convoy.Contracts.Telemetry.V1;
using Convoy.EdgeAgent.Simulation;

namespace Convoy.EdgeAgent.Tests;

public sealed class TruckUnitTests
{
    private const long Start = 1_700_000_000_000;

    [Fact]
    public void Fill_AnHourOfBatches_StaysWithinTheContractsRanges()
    {
        var truck = new Truck("truck-001", 0, Options(failures: 0), Start);

        foreach (var batch in Hour(truck))
        {
            Assert.Equal(60, batch.Gps.OffsetMs.Count);
            Assert.All(batch.Gps.LatitudeDeg, v => Assert.InRange(v, -90, 90));
            Assert.All(batch.Gps.LongitudeDeg, v => Assert.InRange(v, -180, 180));
            Assert.All(batch.Gps.SpeedKmh, v => Assert.InRange(v, 0f, 400f));
            Assert.All(batch.Gps.HeadingDeg, v => Assert.InRange(v, 0f, 360f));
            Assert.All(batch.Fuel.LevelPercent, v => Assert.InRange(v, 0f, 100f));
            Assert.Equal([1u, 2u], batch.Temperatures.Select(t => t.Zone));
            // A working reefer holds its set points: chilled near 2 °C, frozen near -18 °C.
            Assert.All(batch.Temperatures[0].TemperatureC, v => Assert.InRange(v, 1f, 3f));
            Assert.All(batch.Temperatures[1].TemperatureC, v => Assert.InRange(v, -19f, -17f));
        }
    }

    [Fact]
    public void Fill_TruckDrives_MovesAndBurnsFuel()
    {
        var truck = new Truck("truck-001", 0, Options(failures: 0), Start);

        var batches = Hour(truck).ToList();

        Assert.Contains(batches, b => b.Gps.SpeedKmh.Any(s => s > 40));
        Assert.True(batches[^1].Fuel.LevelPercent[^1] < batches[0].Fuel.LevelPercent[0], "driving an hour should burn fuel");
        Assert.NotEqual(batches[0].Gps.LatitudeDeg[0], batches[^1].Gps.LatitudeDeg[^1]);
    }

    [Fact]
    public void Fill_CompressorFails_ChilledZoneWarmsPastEightDegrees()
    {
        var truck = new Truck("truck-001", 0, Options(failures: 1), Start);

        var last = Hour(truck).Last();

        Assert.True(last.Temperatures[0].TemperatureC[^1] > 8f, $"zone 1 ended at {last.Temperatures[0].TemperatureC[^1]} degC");
    }

    [Fact]
    public void Fill_SameSeed_SameReadings()
    {
        var one = Hour(new Truck("truck-001", 0, Options(failures: 0), Start)).Last();
        var two = Hour(new Truck("truck-001", 0, Options(failures: 0), Start)).Last();

        Assert.Equal(one, two);
    }

    private static SimulatorOptions Options(int failures) => new()
    {
        Trucks = 1,
        ReeferFailures = failures,
        ReeferFailureAfter = TimeSpan.FromMinutes(5),
    };

    private static IEnumerable<TelemetryBatch> Hour(Truck truck)
    {
        for (int minute = 0; minute < 60; minute++)
        {
            var batch = new TelemetryBatch();
            truck.Fill(batch, Start + (minute * 60_000L), 60_000, 1_000);
            yield return batch;
        }
    }
}
