using BenchmarkDotNet.Attributes;
using Convoy.FleetHistory.Projection;
using Convoy.FleetHistory.Store;

namespace Convoy.FleetHistory.Benchmarks;

/// <summary>
/// The fold of one flush of the demo's batches (1,000 trucks, 40 readings each) into a tenant's
/// changes, against reading every value of the same batches in place (the floor for any fold).
/// </summary>
[MemoryDiagnoser]
public class FoldBenchmarks
{
    private FleetRecord[] _records = [];

    [Params(1_000, 5_000)]
    public int Batches { get; set; }

    [GlobalSetup]
    public void Setup() => _records = [.. FleetData.Generate(1_000, TimeSpan.FromSeconds(10 * ((Batches + 999) / 1_000))).Take(Batches)];

    [Benchmark(Baseline = true)]
    public double ReadEveryValue()
    {
        double sum = 0;
        foreach (var record in _records)
        {
            if (Contracts.Telemetry.BatchView.TryRead(record.Payload, out var batch, out _) && batch.HasGps)
            {
                foreach (double latitude in batch.Gps.LatitudeDeg)
                {
                    sum += latitude;
                }

                foreach (var zone in batch.Temperatures)
                {
                    foreach (float celsius in zone.TemperatureC)
                    {
                        sum += celsius;
                    }
                }

                foreach (float level in batch.Fuel.LevelPercent)
                {
                    sum += level;
                }
            }
        }

        return sum;
    }

    [Benchmark]
    public int Fold()
    {
        var changes = new TenantChanges("bench");
        foreach (var record in _records)
        {
            TelemetryFold.TryApply(changes, record.Device, record.Payload, out _, out _);
        }

        return changes.Minutes.Count;
    }
}
