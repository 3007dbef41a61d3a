using Convoy.Contracts.Telemetry.V1;

namespace Convoy.Collector.Benchmarks;

/// <summary>The batch every collector benchmark uses: GPS, one reefer zone and fuel, one reading per sensor a second.</summary>
internal static class BenchmarkBatches
{
    /// <summary>A batch of 4 x <paramref name="readingsPerSensor"/> readings ending a minute ago.</summary>
    public static TelemetryBatch Create(string device, int readingsPerSensor)
    {
        long nowMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var batch = new TelemetryBatch { DeviceId = device, Sequence = 1, BaseTimeUnixMs = nowMs - 60_000, Gps = new GpsColumns() };
        var zone = new TemperatureColumns { Zone = 1 };
        batch.Fuel = new FuelColumns { TankCapacityL = 600 };
        for (int i = 0; i < readingsPerSensor; i++)
        {
            uint offset = (uint)(i * 1000);
            batch.Gps.OffsetMs.Add(offset);
            batch.Gps.LatitudeDeg.Add(52.37 + (i * 1e-5));
            batch.Gps.LongitudeDeg.Add(4.90 + (i * 1e-5));
            batch.Gps.SpeedKmh.Add(80);
            batch.Gps.HeadingDeg.Add(90);
            zone.OffsetMs.Add(offset);
            zone.TemperatureC.Add(2.5f);
            batch.Fuel.OffsetMs.Add(offset);
            batch.Fuel.LevelPercent.Add(60);
        }

        batch.Temperatures.Add(zone);
        return batch;
    }
}
