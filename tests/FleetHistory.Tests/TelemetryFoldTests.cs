using Convoy.Contracts.Telemetry.V1;
using Convoy.FleetHistory.Projection;
using Convoy.FleetHistory.Store;
using Google.Protobuf;

namespace Convoy.FleetHistory.Tests;

public sealed class TelemetryFoldTests
{
    private static readonly long Noon = new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();

    [Fact]
    public void Fixes_GoToTheTrackAsSent_AndTheNewestIsTheDevicePosition()
    {
        var changes = Fold(BatchBuilder.For("truck-1").StartingAt(Noon).Gps(3, i => 50f + i, i => (52.0 + (i * 0.001), 4.9), i => 90f));

        Assert.Equal([Noon, Noon + 1000, Noon + 2000], changes.Positions.Select(p => p.TimeMs));
        Assert.Equal(52.002, changes.Positions[2].LatitudeDeg, 9);
        var latest = changes.Devices["truck-1"];
        Assert.Equal(Noon + 2000, latest.Position!.Value.TimeMs);
        Assert.Equal(52f, latest.Position.Value.SpeedKmh);
        Assert.Equal(Noon + 2000, latest.LastSeenMs);
    }

    [Fact]
    public void Readings_AreRolledUpPerMinuteAndHour_WithMinMaxSumCountAndLast()
    {
        // 90 readings a second apart from 12:00:00: 60 in the 12:00 minute, 30 in 12:01; all in the 12:00 hour.
        var changes = Fold(BatchBuilder.For("truck-1").StartingAt(Noon).Temperatures(2, 90, i => i));

        var first = changes.Minutes[new RollupKey("truck-1", "temperature", 2, Noon)];
        Assert.Equal((0f, 59f, 60L, 59f, Noon + 59_000), (first.Min, first.Max, first.Count, first.Last, first.LastMs));
        Assert.Equal(Enumerable.Range(0, 60).Sum(), first.Sum);
        var second = changes.Minutes[new RollupKey("truck-1", "temperature", 2, Noon + 60_000)];
        Assert.Equal((60f, 89f, 30L), (second.Min, second.Max, second.Count));
        var hour = Assert.Single(changes.Hours);
        Assert.Equal(new RollupKey("truck-1", "temperature", 2, Noon), hour.Key);
        Assert.Equal((0f, 89f, 90L, 89f), (hour.Value.Min, hour.Value.Max, hour.Value.Count, hour.Value.Last));
    }

    [Fact]
    public void WindowSummaries_CountInsteadOfTheirRepresentatives_AndRawReadingsCountAsThemselves()
    {
        // A 60 s window at 12:00 reduced 600 readings (min 2, max 6, mean 4.5, last 5); the agent sent
        // its min, max and last as readings inside the window, then one raw excursion reading at 12:01:30.
        var batch = BatchBuilder.For("truck-1").StartingAt(Noon).Build();
        var column = new TemperatureColumns { Zone = 1 };
        column.OffsetMs.Add([1000, 20_000, 59_000, 90_000]);
        column.TemperatureC.Add([2f, 6f, 5f, 12f]);
        column.Windows = new WindowColumns();
        column.Windows.StartUnixMs.Add(Noon);
        column.Windows.LengthMs.Add(60_000);
        column.Windows.Count.Add(600);
        column.Windows.Min.Add(2f);
        column.Windows.Max.Add(6f);
        column.Windows.Mean.Add(4.5f);
        column.Windows.Last.Add(5f);
        batch.Temperatures.Add(column);

        var changes = Fold(batch);

        var window = changes.Minutes[new RollupKey("truck-1", "temperature", 1, Noon)];
        Assert.Equal((2f, 6f, 600L, 5f), (window.Min, window.Max, window.Count, window.Last));
        Assert.Equal(4.5 * 600, window.Sum, 6);
        var raw = changes.Minutes[new RollupKey("truck-1", "temperature", 1, Noon + 60_000)];
        Assert.Equal((12f, 12f, 1L), (raw.Min, raw.Max, raw.Count));
        Assert.Equal(601L, changes.Hours.Single().Value.Count);
        Assert.Equal((12f, Noon + 90_000), changes.Devices["truck-1"].Temperatures[1]);
    }

    [Fact]
    public void EverySensorKind_HasItsRollupName_AndFuelAndSpeedAreRolledUp()
    {
        var changes = Fold(BatchBuilder.For("truck-1").StartingAt(Noon)
            .Fuel(2, i => 80f - i)
            .Gps(2, i => 40f)
            .Scalar(ScalarKind.EngineRpm, 2, i => 1500f)
            .Scalar(ScalarKind.Custom, 1, i => 3f, name: "axle-load"));

        var sensors = changes.Minutes.Keys.Select(k => k.Sensor).Order(StringComparer.Ordinal);
        Assert.Equal(["custom:axle-load", "engine_rpm", "fuel", "speed"], sensors);
        Assert.Equal((79f, Noon + 1000), (changes.Devices["truck-1"].FuelPercent, changes.Devices["truck-1"].FuelMs));
    }

    [Fact]
    public void TwoBatchesOfOneMinute_MergeIntoOneBucket()
    {
        var changes = new TenantChanges("acme");
        Assert.True(TelemetryFold.TryApply(changes, "truck-1", BatchBuilder.For("truck-1", 1).StartingAt(Noon).Temperatures(1, 3f, 4f).Build().ToByteArray(), out _, out _));
        Assert.True(TelemetryFold.TryApply(changes, "truck-1", BatchBuilder.For("truck-1", 2).StartingAt(Noon + 10_000).Temperatures(1, 1f).Build().ToByteArray(), out _, out _));

        var cell = Assert.Single(changes.Minutes).Value;
        Assert.Equal((1f, 4f, 3L, 1f, Noon + 10_000), (cell.Min, cell.Max, cell.Count, cell.Last, cell.LastMs));
    }

    [Fact]
    public void UnreadableBytes_AreRefusedWithTheReason()
    {
        var changes = new TenantChanges("acme");

        Assert.False(TelemetryFold.TryApply(changes, "truck-1", [0xFF, 0xFF, 0xFF], out _, out string? problem));
        Assert.NotNull(problem);
        Assert.Empty(changes.Devices);
    }

    private static TenantChanges Fold(TelemetryBatch batch)
    {
        var changes = new TenantChanges("acme");
        Assert.True(TelemetryFold.TryApply(changes, batch.DeviceId, batch.ToByteArray(), out _, out string? problem), problem);
        return changes;
    }
}
