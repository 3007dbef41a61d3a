using Convoy.AlertEngine.Evaluation;
using Convoy.Contracts.Alerts.V1;
using Convoy.Contracts.Telemetry.V1;
using Google.Protobuf;

namespace Convoy.AlertEngine.Tests;

/// <summary>
/// The evaluator's per-record path allocates nothing for a known device whose batch raises no
/// alert: the device is found from the record's UTF-8 id, each rule's state by the rule's number,
/// the last fix is updated in place. A fleet batch goes through every rule kind.
/// </summary>
public sealed class EvaluatorAllocationTests
{
    // One rule of every kind and signal a fleet batch carries; the readings below stay quiet.
    private const string Rules = """
        rules:
          - { id: reefer-warm, kind: threshold, zone: 1, above: 8, durationMinutes: 5, clearBelow: 7.5 }
          - { id: reefer-too-cold, kind: threshold, zone: 1, below: 0, durationMinutes: 10 }
          - { id: freezer-range, kind: range, zone: 2, min: -25, max: -12, hysteresis: 0.5, durationMinutes: 5 }
          - { id: cargo-humidity, kind: range, signal: humidity, min: 40, max: 95, durationMinutes: 10 }
          - { id: fuel-low, kind: threshold, signal: fuelLevel, below: 10, durationMinutes: 1 }
          - { id: over-speed, kind: overSpeed, aboveKmh: 90, durationMinutes: 1 }
          - { id: depot, kind: geofence, trigger: enter, circle: { latitude: 51.95, longitude: 4.14, radiusM: 800 } }
          - { id: eu-only, kind: geofence, trigger: exit, polygon: [[36, -10], [71, -10], [71, 32], [36, 32]] }
          - { id: fuel-theft, kind: fuelDrop, dropPercent: 10, withinMinutes: 2 }
          - { id: reefer-rising, kind: rateOfChange, zone: 1, risePerMinute: 0.5, clearDurationMinutes: 5 }
          - { id: humidity-rising, kind: rateOfChange, signal: humidity, risePerMinute: 5, clearDurationMinutes: 5 }
          - { id: gone-silent, kind: silent, silentMinutes: 30 }
          - { id: battery-low, kind: threshold, signal: batteryVoltage, below: 11.5, clearAbove: 12 }
        """;

    [Fact]
    public void Offer_KnownDeviceQuietFleetBatch_AllocatesNothing()
    {
        var kit = new RuleTestKit(Rules);
        const int Warm = 20, Measured = 200;
        var records = Enumerable.Range(0, Warm + Measured).Select(i => Batch("truck-7", (ulong)i + 1, minute: i * 10).ToByteArray()).ToArray();
        var alerts = new List<Alert>(16);
        var released = new List<RecordPosition>(16);
        var source = new RecordSource(ReceivedAtMs: RuleTestKit.Minute((Warm + Measured) * 10));
        for (int i = 0; i < Warm; i++)
        {
            Assert.Equal(BatchOutcome.Evaluated, kit.Evaluator.Offer(kit.Tenant, records[i], new RecordPosition("telemetry.acme", 0, i), alerts, released, out _, out _, source));
        }

        Assert.Empty(alerts);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = Warm; i < records.Length; i++)
        {
            kit.Evaluator.Offer(kit.Tenant, records[i], new RecordPosition("telemetry.acme", 0, i), alerts, released, out _, out _, source);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Empty(alerts);
        Assert.Equal(0, allocated);

        // The state it kept is the device's, found again by its id as a string.
        var state = kit.Evaluator.Snapshot(kit.Tenant, "truck-7");
        Assert.NotNull(state);
        Assert.Equal((ulong)(Warm + Measured), state.LastSequence);
        Assert.Equal(RuleTestKit.Minute(((Warm + Measured - 1) * 10) + 9), state.LastFix.TimeUnixMs);
        Assert.Contains(state.Thresholds, t => t.RuleId == "reefer-warm" && t.Zone == 1);
        Assert.Contains(state.Thresholds, t => t.RuleId == "freezer-range" && t.Zone == 2);
    }

    /// <summary>Ten readings a minute apart of each column: reefer at 4 °C, freezer at -18 °C, 60 km/h near Utrecht, fuel at 60 %, humidity 70 %, battery 12.6 V.</summary>
    private static TelemetryBatch Batch(string device, ulong sequence, int minute) =>
        BatchBuilder.For(device, sequence)
            .StartingAt(RuleTestKit.Minute(minute))
            .Every(TimeSpan.FromMinutes(1))
            .Temperatures(1, 10, _ => 4f)
            .Temperatures(2, 10, _ => -18f)
            .Gps(10, _ => 60f, i => (52.09 + (i * 0.001), 5.12))
            .Fuel(10, _ => 60f, tankCapacityLitres: 400)
            .Scalar(ScalarKind.HumidityPercent, 10, _ => 70f)
            .Scalar(ScalarKind.BatteryVoltageV, 10, _ => 12.6f);
}
