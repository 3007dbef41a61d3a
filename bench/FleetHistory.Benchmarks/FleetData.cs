using System.Globalization;
using Convoy.Contracts.Telemetry.V1;
using Convoy.EdgeAgent.Simulation;
using Google.Protobuf;

namespace Convoy.FleetHistory.Benchmarks;

/// <summary>One telemetry record as the collector writes it to Kafka: the device (from the record's headers), its sequence and the encoded batch.</summary>
internal readonly record struct FleetRecord(string Device, ulong Sequence, byte[] Payload, int Readings);

/// <summary>
/// The demo's fleet (src/EdgeAgent/Simulation): each truck a <see cref="Truck"/> sending a batch
/// every 10 s with one reading a second of GPS, two reefer zones and fuel (40 readings), the
/// agent's default (raw, not aggregated). Optionally a few scalar sensors more, as a truck with a
/// CAN bus would send. Deterministic: the same arguments make the same bytes.
/// </summary>
internal static class FleetData
{
    /// <summary>2026-01-01T00:00:00Z: a fixed start, so runs repeat exactly.</summary>
    public const long StartMs = 1_767_225_600_000;

    public const long BatchSpanMs = 10_000;
    public const long SampleMs = 1_000;

    public static string Device(int index) => "truck-" + (index + 1).ToString("D5", CultureInfo.InvariantCulture);

    /// <summary>
    /// Every truck's batches over <paramref name="duration"/>, in the order a projector reads them:
    /// time first (every truck's batch of one 10-second span), then truck.
    /// </summary>
    public static IEnumerable<FleetRecord> Generate(int trucks, TimeSpan duration, int scalars = 0, int firstTruck = 0)
    {
        var options = new SimulatorOptions { Trucks = firstTruck + trucks, Seed = 1 };
        var fleet = new Truck[trucks];
        for (int i = 0; i < trucks; i++)
        {
            fleet[i] = new Truck(Device(firstTruck + i), firstTruck + i, options, StartMs);
        }

        var sequences = new ulong[trucks];
        long endMs = StartMs + (long)duration.TotalMilliseconds;
        for (long from = StartMs; from + BatchSpanMs <= endMs; from += BatchSpanMs)
        {
            for (int i = 0; i < trucks; i++)
            {
                var batch = new TelemetryBatch { Sequence = ++sequences[i] };
                int readings = fleet[i].Fill(batch, from, BatchSpanMs, SampleMs);
                readings += AddScalars(batch, scalars, firstTruck + i, from);
                yield return new FleetRecord(fleet[i].Device, batch.Sequence, batch.ToByteArray(), readings);
            }
        }
    }

    private static readonly ScalarKind[] ScalarKinds = [ScalarKind.BatteryVoltageV, ScalarKind.HumidityPercent, ScalarKind.EngineRpm, ScalarKind.OdometerKm, ScalarKind.ReeferDoorOpen];

    /// <summary>Up to five scalar columns with believable values (a battery near 13.8 V, humidity, rpm, a rising odometer, a shut door).</summary>
    private static int AddScalars(TelemetryBatch batch, int scalars, int truck, long fromMs)
    {
        int readings = 0;
        for (int s = 0; s < Math.Min(scalars, ScalarKinds.Length); s++)
        {
            var column = new ScalarColumns { Kind = ScalarKinds[s] };
            for (int k = 0; k < BatchSpanMs / SampleMs; k++)
            {
                long t = fromMs + (k * SampleMs);
                // A cheap deterministic wobble per truck and second.
                double wobble = ((((t / SampleMs) * 2_654_435_761L) + (truck * 40_503L)) & 1023) / 1023.0;
                float value = ScalarKinds[s] switch
                {
                    ScalarKind.BatteryVoltageV => (float)Math.Round(13.6 + (0.4 * wobble), 2),
                    ScalarKind.HumidityPercent => (float)Math.Round(78 + (4 * wobble), 1),
                    ScalarKind.EngineRpm => (float)Math.Round(1_200 + (400 * wobble)),
                    ScalarKind.OdometerKm => (float)Math.Round(120_000 + ((t - StartMs) / 60_000.0), 1),
                    _ => 0f,
                };
                column.OffsetMs.Add((uint)(k * SampleMs));
                column.Value.Add(value);
                readings++;
            }

            batch.Scalars.Add(column);
        }

        return readings;
    }
}
