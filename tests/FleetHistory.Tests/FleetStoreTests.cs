using Convoy.Contracts.Alerts.V1;
using Convoy.Contracts.Fleet.V1;
using Convoy.FleetHistory.Projection;
using Convoy.FleetHistory.Store;
using Google.Protobuf;

namespace Convoy.FleetHistory.Tests;

/// <summary>What every store must do, run against each store (<see cref="TestStores"/>).</summary>
public sealed class FleetStoreTests(ClickHouseFixture clickHouse) : IClassFixture<ClickHouseFixture>
{
    internal static readonly long Noon = new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();

    public static TheoryData<string> Stores => TestStores.Kinds;

    [Theory]
    [MemberData(nameof(Stores))]
    public void AWrite_IsReadBackAsFleetStateTrackAndRollups(string kind)
    {
        using var test = TestStores.Create(kind, clickHouse);
        var store = test.Store;
        var changes = Changes("acme", ("telemetry.acme", 0, 10), BatchBuilder.For("truck-1", 1).StartingAt(Noon)
            .Gps(3, i => 60f + i, i => (52.0 + (i * 0.01), 4.9), i => 45f)
            .Temperatures(1, 2f, 3f, 4f)
            .Temperatures(2, -18f)
            .Fuel(2, i => 70f - i));

        store.Write(changes);

        var state = Assert.Single(store.FleetState("acme", [], "", 10));
        Assert.Equal("truck-1", state.DeviceId);
        Assert.Equal(Noon + 2000, state.LastSeenUnixMs);
        Assert.Equal((Noon + 2000, 52.02, 62f, 45f), (state.Position.TimeUnixMs, Math.Round(state.Position.LatitudeDeg, 6), state.Position.SpeedKmh, state.Position.HeadingDeg));
        Assert.Equal([(1u, 4f), (2u, -18f)], state.Temperatures.Select(t => (t.Zone, t.TemperatureC)));
        Assert.Equal(69f, state.Fuel.LevelPercent);
        Assert.Equal(3, store.Track("acme", "truck-1", Noon, Noon + 60_000, long.MinValue, 100).Count);
        var minute = Assert.Single(store.Rollups("acme", "truck-1", "temperature", 1, Resolution.Minute, Noon, Noon + 3_600_000, long.MinValue, 100));
        Assert.Equal((2f, 4f, 3.0, 3ul, 4f), (minute.Min, minute.Max, minute.Mean, minute.Count, minute.Last));
        Assert.Equal(10, store.Offsets("acme")[new PartitionKey("telemetry.acme", 0)]);
        Assert.Equal(1ul, store.Sequences("acme")[new SenderKey("truck-1", "")]);
        Assert.True(store.HasDevice("acme", "truck-1"));
        Assert.False(store.HasDevice("acme", "truck-2"));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public void LaterWrites_MergeRollups_AndKeepTheNewestState_EvenWhenAnOlderBatchComesLast(string kind)
    {
        using var test = TestStores.Create(kind, clickHouse);
        var store = test.Store;
        store.Write(Changes("acme", ("telemetry.acme", 0, 1), BatchBuilder.For("truck-1", 2).StartingAt(Noon + 30_000).Temperatures(1, 5f).Gps(1, _ => 10f)));
        store.Write(Changes("acme", ("telemetry.acme", 0, 2), BatchBuilder.For("truck-1", 1).StartingAt(Noon).Temperatures(1, 1f, 9f).Gps(1, _ => 20f)));

        var minute = Assert.Single(store.Rollups("acme", "truck-1", "temperature", 1, Resolution.Minute, Noon, Noon + 60_000, long.MinValue, 10));
        Assert.Equal((1f, 9f, 5.0, 3ul, 5f, Noon + 30_000), (minute.Min, minute.Max, minute.Mean, minute.Count, minute.Last, minute.LastTimeUnixMs));
        var state = Assert.Single(store.FleetState("acme", [], "", 10));
        Assert.Equal((10f, Noon + 30_000), (state.Position.SpeedKmh, state.Position.TimeUnixMs));
        Assert.Equal(5f, Assert.Single(state.Temperatures).TemperatureC);
        Assert.Equal(2, store.Track("acme", "truck-1", Noon, Noon + 60_000, long.MinValue, 10).Count);
        Assert.Equal(2, store.Offsets("acme")[new PartitionKey("telemetry.acme", 0)]);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public void AnAlert_KeepsItsLifecycle_AndAReplayedFiringNeverReopensIt(string kind)
    {
        using var test = TestStores.Create(kind, clickHouse);
        var store = test.Store;
        var firing = Alert("a1", AlertState.Firing, Noon, 0);
        var resolved = Alert("a1", AlertState.Resolved, Noon, Noon + 300_000);

        store.Write(AlertChanges("acme", 1, firing));
        Assert.Equal(AlertState.Firing, Assert.Single(Assert.Single(store.FleetState("acme", [], "", 10)).FiringAlerts).State);
        store.Write(AlertChanges("acme", 2, resolved));
        store.Write(AlertChanges("acme", 3, firing));

        var alert = Assert.Single(store.Alerts("acme", new AlertFilter("", "", AlertState.Unspecified, 0, 0), null, 10));
        Assert.Equal((AlertState.Resolved, Noon, Noon + 300_000, "reefer-too-warm"), (alert.State, alert.StartTimeUnixMs, alert.EndTimeUnixMs, alert.RuleId));
        Assert.Empty(Assert.Single(store.FleetState("acme", [], "", 10)).FiringAlerts);
        Assert.Equal(52.1, alert.LastPosition.LatitudeDeg);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public void Alerts_ArePagedNewestFirst_AndFiltered(string kind)
    {
        using var test = TestStores.Create(kind, clickHouse);
        var store = test.Store;
        var changes = new TenantChanges("acme");
        for (int i = 0; i < 5; i++)
        {
            var alert = Alert($"a{i}", i % 2 == 0 ? AlertState.Firing : AlertState.Resolved, Noon + (i * 1000), 0);
            changes.AddAlert(alert);
        }

        changes.Offsets[new PartitionKey("alerts.acme", 0)] = 5;
        store.Write(changes);

        var any = new AlertFilter("", "", AlertState.Unspecified, 0, 0);
        var first = store.Alerts("acme", any, null, 2);
        Assert.Equal(["a4", "a3"], first.Select(a => a.AlertId));
        var second = store.Alerts("acme", any, new AlertCursor(first[^1].StartTimeUnixMs, first[^1].AlertId), 2);
        Assert.Equal(["a2", "a1"], second.Select(a => a.AlertId));
        Assert.Equal(["a4", "a2", "a0"], store.Alerts("acme", any with { State = AlertState.Firing }, null, 10).Select(a => a.AlertId));
        Assert.Equal(["a2", "a1"], store.Alerts("acme", any with { FromMs = Noon + 1000, ToMs = Noon + 3000 }, null, 10).Select(a => a.AlertId));
        Assert.Empty(store.Alerts("acme", any with { Device = "truck-9" }, null, 10));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public void ATenant_SeesNothingOfAnother(string kind)
    {
        using var test = TestStores.Create(kind, clickHouse);
        var store = test.Store;
        store.Write(Changes("acme", ("telemetry.acme", 0, 1), BatchBuilder.For("truck-1", 1).StartingAt(Noon).Gps(1, _ => 10f).Temperatures(1, 4f)));
        store.Write(AlertChanges("acme", 2, Alert("a1", AlertState.Firing, Noon, 0)));

        Assert.Empty(store.FleetState("globex", [], "", 10));
        Assert.Empty(store.FleetState("globex", ["truck-1"], "", 10));
        Assert.False(store.HasDevice("globex", "truck-1"));
        Assert.Empty(store.Track("globex", "truck-1", 0, long.MaxValue, long.MinValue, 10));
        Assert.Empty(store.Rollups("globex", "truck-1", "temperature", 1, Resolution.Minute, 0, long.MaxValue, long.MinValue, 10));
        Assert.Empty(store.Alerts("globex", new AlertFilter("", "", AlertState.Unspecified, 0, 0), null, 10));
        Assert.Empty(store.Offsets("globex"));
        Assert.Empty(store.Sequences("globex"));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public void FleetState_IsPagedByDevice_AndFilteredByDeviceIds(string kind)
    {
        using var test = TestStores.Create(kind, clickHouse);
        var store = test.Store;
        var changes = new TenantChanges("acme");
        foreach (var (device, celsius) in new[] { ("truck-3", 3f), ("truck-1", 1f), ("truck-2", 2f) })
        {
            Assert.True(TelemetryFold.TryApply(changes, device, BatchBuilder.For(device).StartingAt(Noon).Gps(1, _ => 1f).Temperatures(1, celsius).Build().ToByteArray(), out _, out _));
        }

        changes.Offsets[new PartitionKey("telemetry.acme", 0)] = 3;
        store.Write(changes);
        var alert = Alert("a2", AlertState.Firing, Noon, 0);
        alert.DeviceId = "truck-2";
        store.Write(AlertChanges("acme", 1, alert));

        // Each device of a page carries its own zones and alerts, and only those.
        static (string, float, int) Summary(DeviceState d) => (d.DeviceId, Assert.Single(d.Temperatures).TemperatureC, d.FiringAlerts.Count);
        Assert.Equal([("truck-1", 1f, 0), ("truck-2", 2f, 1)], store.FleetState("acme", [], "", 2).Select(Summary));
        Assert.Equal([("truck-3", 3f, 0)], store.FleetState("acme", [], "truck-2", 2).Select(Summary));
        Assert.Equal([("truck-1", 1f, 0), ("truck-3", 3f, 0)], store.FleetState("acme", ["truck-3", "truck-1", "truck-9"], "", 10).Select(Summary));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public void HourRollups_AndTrackPages_FollowTheirCursor(string kind)
    {
        using var test = TestStores.Create(kind, clickHouse);
        var store = test.Store;
        // Two hours of one reading a minute.
        store.Write(Changes("acme", ("telemetry.acme", 0, 1), BatchBuilder.For("truck-1").StartingAt(Noon).Every(TimeSpan.FromMinutes(1)).Gps(120, i => i)));

        var hours = store.Rollups("acme", "truck-1", "speed", 0, Resolution.Hour, Noon, Noon + (3 * 3_600_000), long.MinValue, 10);
        Assert.Equal([(Noon, 60ul, 0f, 59f), (Noon + 3_600_000, 60ul, 60f, 119f)], hours.Select(h => (h.StartUnixMs, h.Count, h.Min, h.Max)));
        var page = store.Track("acme", "truck-1", Noon, Noon + (3 * 3_600_000), Noon + (99 * 60_000), 100);
        Assert.Equal(20, page.Count);
        Assert.Equal(Noon + (100 * 60_000), page[0].TimeUnixMs);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public void FreeText_IsStoredAndMatchedAsWritten_QuotesBackslashesTabsAndNewlinesIncluded(string kind)
    {
        using var test = TestStores.Create(kind, clickHouse);
        var store = test.Store;
        // Rule ids, units and messages come from tenants' rule files: any text at all.
        const string Rule = "it's \\ a 'rule'\t\n-- ; DROP TABLE alerts; \\'";
        var alert = Alert("a'1\\", AlertState.Firing, Noon, 0);
        alert.RuleId = Rule;
        alert.TriggerUnit = "°C\t\r\n";
        alert.Message = "zone \"1\" at 9.5 °C\n\tline two \\ backslash ' quote";
        store.Write(AlertChanges("acme", 1, alert));

        var any = new AlertFilter("", "", AlertState.Unspecified, 0, 0);
        var found = Assert.Single(store.Alerts("acme", any with { Rule = Rule }, null, 10));
        Assert.Equal((alert.AlertId, Rule, alert.TriggerUnit, alert.Message), (found.AlertId, found.RuleId, found.TriggerUnit, found.Message));
        Assert.Empty(store.Alerts("acme", any with { Rule = "it's" }, null, 10));
        Assert.Empty(store.Alerts("acme", any, new AlertCursor(Noon, alert.AlertId), 10));
        Assert.Single(store.Alerts("acme", any, new AlertCursor(Noon, "a'0"), 10));
        Assert.False(store.HasDevice("acme", "truck-1' OR '1' = '1"));
        Assert.Empty(store.FleetState("acme", ["truck-1' OR '1' = '1", "x\\"], "", 10));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public void Retention_DeletesOlderFixesRollupsAndResolvedAlerts_ButKeepsFiringOnes(string kind)
    {
        using var test = TestStores.Create(kind, clickHouse);
        var store = test.Store;
        long old = Noon - (10 * 86_400_000L);
        store.Write(Changes("acme", ("telemetry.acme", 0, 1), BatchBuilder.For("truck-1", 1).StartingAt(old).Gps(2, _ => 5f).Temperatures(1, 3f)));
        store.Write(Changes("acme", ("telemetry.acme", 0, 2), BatchBuilder.For("truck-1", 2).StartingAt(Noon).Gps(1, _ => 5f).Temperatures(1, 4f)));
        var changes = new TenantChanges("acme");
        changes.AddAlert(Alert("old-resolved", AlertState.Resolved, old, old + 1000));
        changes.AddAlert(Alert("old-firing", AlertState.Firing, old, 0));
        changes.AddAlert(Alert("new-resolved", AlertState.Resolved, Noon, Noon + 1000));
        changes.Offsets[new PartitionKey("alerts.acme", 0)] = 3;
        store.Write(changes);
        store.Write(Changes("globex", ("telemetry.globex", 0, 1), BatchBuilder.For("truck-9", 1).StartingAt(old).Gps(1, _ => 5f)));

        var deleted = store.ApplyRetention("acme", Noon - 86_400_000, Noon - 86_400_000, Noon - 86_400_000);

        Assert.Equal((2L, 4L, 1L), (deleted.Positions, deleted.Rollups, deleted.Alerts)); // a minute and an hour rollup each of temperature and speed
        Assert.Single(store.Track("acme", "truck-1", 0, long.MaxValue, long.MinValue, 100));
        Assert.Single(store.Rollups("acme", "truck-1", "temperature", 1, Resolution.Minute, 0, long.MaxValue, long.MinValue, 100));
        Assert.Equal(["new-resolved", "old-firing"], store.Alerts("acme", new AlertFilter("", "", AlertState.Unspecified, 0, 0), null, 10).Select(a => a.AlertId).Order(StringComparer.Ordinal));
        Assert.Single(store.Track("globex", "truck-9", 0, long.MaxValue, long.MinValue, 100));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public void TrackCompaction_AnswersTheSameTrack_LateFixesIncluded_AndRetentionReachesIt(string kind)
    {
        using var test = TestStores.Create(kind, clickHouse);
        var store = test.Store;
        // Two trucks reporting at once over three days (as a live projector writes them: interleaved), one fix a minute.
        long day = 86_400_000L;
        long start = Noon - (2 * day);
        var written = new Dictionary<string, List<PositionRow>>();
        for (long t = start; t < Noon + 3_600_000; t += 60 * 60_000)
        {
            var changes = new TenantChanges("acme");
            foreach (string device in new[] { "truck-1", "truck-2" })
            {
                for (int m = 0; m < 60; m++)
                {
                    long time = t + (m * 60_000L);
                    var fix = new PositionRow(device, time, 52.1234567 + (m * 1e-5), 4.9876543 - (m * 1e-5), 40.27f + m, (m * 6.13f) % 360f);
                    changes.Positions.Add(fix);
                    (written.TryGetValue(device, out var list) ? list : written[device] = []).Add(fix);
                }
            }

            store.Write(changes);
        }

        long now = Noon + (90 * 60_000); // 13:30: the hours before 12:00 are closed, and the days before the last
        var compaction = store.CompactTrack("acme", now);
        if (kind == "duckdb")
        {
            Assert.Equal(2 * 60 * ((2 * 24) + 0), compaction.Moved); // from 12:00 two days ago to 12:00 today, sorted by device and time
            Assert.True(compaction.Settled > 0, "the closed days were sorted again");
        }

        // A late fix in a compacted hour, and a second pass with nothing new to move.
        var late = new PositionRow("truck-1", start + 30_000, 52.5, 4.5, 12.5f, 359.96f);
        var lateChanges = new TenantChanges("acme");
        lateChanges.Positions.Add(late);
        store.Write(lateChanges);
        written["truck-1"].Add(late); // 359.96 is 360.0 in tenths: north, read back as 0 where compacted
        store.CompactTrack("acme", now);

        foreach (var (device, fixes) in written)
        {
            var track = store.Track("acme", device, 0, long.MaxValue, long.MinValue, 10_000);
            Assert.Equal(fixes.Select(static f => f.TimeMs).Order(), track.Select(static p => p.TimeUnixMs));
            var expected = fixes.ToDictionary(static f => f.TimeMs);
            foreach (var point in track)
            {
                var fix = expected[point.TimeUnixMs];
                // Compacted fixes keep 1e-7 degrees and tenths of km/h and degrees.
                Assert.Equal(fix.LatitudeDeg, point.LatitudeDeg, 1e-7);
                Assert.Equal(fix.LongitudeDeg, point.LongitudeDeg, 1e-7);
                Assert.Equal(fix.SpeedKmh, point.SpeedKmh, 0.051f);
                float turn = Math.Abs(fix.HeadingDeg - point.HeadingDeg);
                Assert.True(Math.Min(turn, 360f - turn) <= 0.051f && point.HeadingDeg is >= 0f and < 360f, $"heading {fix.HeadingDeg} read as {point.HeadingDeg}");
            }

            // A page across both tables follows its cursor: the first hour of yesterday, 30 at a time.
            long from = Noon - day, to = from + 3_600_000;
            var pages = new List<long>();
            for (long after = long.MinValue; ;)
            {
                var page = store.Track("acme", device, from, to, after, 30);
                pages.AddRange(page.Select(static p => p.TimeUnixMs));
                if (page.Count < 30)
                {
                    break;
                }

                after = page[^1].TimeUnixMs;
            }

            Assert.Equal(fixes.Where(f => f.TimeMs >= from && f.TimeMs < to).Select(static f => f.TimeMs).Order(), pages);
        }

        // Retention reaches the compacted fixes as well as the recent ones.
        var deleted = store.ApplyRetention("acme", Noon - day, 0, 0);
        Assert.Equal(written.Values.Sum(f => f.Count(x => x.TimeMs < Noon - day)), deleted.Positions);
        Assert.All(store.Track("acme", "truck-1", 0, long.MaxValue, long.MinValue, 10_000), p => Assert.True(p.TimeUnixMs >= Noon - day));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public void Retention_DeletesADispatchersNote_WithItsAlert_AndOldNotesWhoseAlertIsGone(string kind)
    {
        using var test = TestStores.Create(kind, clickHouse);
        var store = test.Store;
        long old = Noon - (10 * 86_400_000L);
        var changes = new TenantChanges("acme");
        changes.AddAlert(Alert("old-resolved", AlertState.Resolved, old, old + 1000));
        changes.AddAlert(Alert("new-resolved", AlertState.Resolved, Noon, Noon + 1000));
        changes.Offsets[new PartitionKey("alerts.acme", 0)] = 2;
        store.Write(changes);
        store.Write(AcknowledgementChanges("acme", 3, new AlertAcknowledgement("old-resolved", "truck-1", "dispatcher-7", "door was open", old + 2000)));
        store.Write(AcknowledgementChanges("acme", 4, new AlertAcknowledgement("new-resolved", "truck-1", "dispatcher-7", "checked", Noon + 2000)));
        store.Write(AcknowledgementChanges("acme", 5, new AlertAcknowledgement("never-came", "truck-1", "dispatcher-7", "for an alert not here", old)));

        store.ApplyRetention("acme", Noon - 86_400_000, Noon - 86_400_000, Noon - 86_400_000);

        // Were the two old alerts projected again (a replay of their topic), no note of them would come back with them.
        var again = new TenantChanges("acme");
        again.AddAlert(Alert("old-resolved", AlertState.Resolved, old, old + 1000));
        again.AddAlert(Alert("never-came", AlertState.Resolved, old, old + 1000));
        again.Offsets[new PartitionKey("alerts.acme", 0)] = 6;
        store.Write(again);
        var alerts = store.Alerts("acme", new AlertFilter("", "", AlertState.Unspecified, 0, 0), null, 10).ToDictionary(static a => a.AlertId, StringComparer.Ordinal);
        Assert.Null(alerts["old-resolved"].Acknowledgement);
        Assert.Null(alerts["never-came"].Acknowledgement);
        Assert.Equal("checked", alerts["new-resolved"].Acknowledgement.Note); // a recent one stays
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public void ATenantsOwnRetention_IsKept_AndReadBack(string kind)
    {
        using var test = TestStores.Create(kind, clickHouse);
        var store = test.Store;

        Assert.Null(store.Retention("acme"));
        store.SetRetention("acme", new RetentionDays(30, 0, 400));
        store.SetRetention("acme", new RetentionDays(31, 0, 400));

        Assert.Equal(new RetentionDays(31, 0, 400), store.Retention("acme"));
        Assert.Null(store.Retention("globex"));
        Assert.Equal(new RetentionDays(31, 730, 400), RetentionEnforcer.Effective(store.Retention("acme"), new RetentionDays(90, 730, 365)));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public void DeletingATenant_LeavesNoRowOfIt_AndOthersUntouched(string kind)
    {
        using var test = TestStores.Create(kind, clickHouse);
        var store = test.Store;
        store.Write(Changes("acme", ("telemetry.acme", 0, 1), BatchBuilder.For("truck-1", 1).StartingAt(Noon).Gps(3, _ => 5f).Temperatures(1, 3f)));
        store.Write(AlertChanges("acme", 1, Alert("a1", AlertState.Firing, Noon, 0)));
        store.Write(Changes("globex", ("telemetry.globex", 0, 1), BatchBuilder.For("truck-9", 1).StartingAt(Noon).Gps(1, _ => 5f)));
        Assert.Equal(["acme", "globex"], store.Tenants());

        var removed = store.DeleteTenant("acme");

        Assert.Equal((3L, 1L, 1L), (removed.Positions, removed.Alerts, removed.Devices));
        Assert.Equal(["globex"], store.Tenants());
        Assert.Empty(store.FleetState("acme", [], "", 10));
        Assert.Empty(store.Track("acme", "truck-1", 0, long.MaxValue, long.MinValue, 10));
        Assert.Empty(store.Alerts("acme", new AlertFilter("", "", AlertState.Unspecified, 0, 0), null, 10));
        Assert.Empty(store.Offsets("acme"));
        Assert.Empty(store.Sequences("acme"));
        Assert.Single(store.FleetState("globex", [], "", 10));
        Assert.Equal(default, store.DeleteTenant("acme"));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public void AnAcknowledgement_IsReadWithItsAlert_TheLaterOneWins_AndAReplayChangesNothing(string kind)
    {
        using var test = TestStores.Create(kind, clickHouse);
        var store = test.Store;
        store.Write(AlertChanges("acme", 1, Alert("a1", AlertState.Firing, Noon, 0)));
        store.Write(AlertChanges("acme", 2, Alert("a2", AlertState.Firing, Noon + 1000, 0)));

        store.Write(AcknowledgementChanges("acme", 3, new AlertAcknowledgement("a1", "truck-1", "dispatcher-7", "driver called, door was open", Noon + 60_000)));
        store.Write(AcknowledgementChanges("acme", 4, new AlertAcknowledgement("a1", "truck-1", "dispatcher-2", "first look", Noon + 30_000)));
        store.Write(AcknowledgementChanges("acme", 3, new AlertAcknowledgement("a1", "truck-1", "dispatcher-7", "driver called, door was open", Noon + 60_000)));

        var any = new AlertFilter("", "", AlertState.Unspecified, 0, 0);
        var alerts = store.Alerts("acme", any, null, 10);
        Assert.Equal(["a2", "a1"], alerts.Select(a => a.AlertId));
        Assert.Null(alerts[0].Acknowledgement);
        Assert.Equal(("dispatcher-7", "driver called, door was open", Noon + 60_000), (alerts[1].Acknowledgement.By, alerts[1].Acknowledgement.Note, alerts[1].Acknowledgement.TimeUnixMs));
        var firing = Assert.Single(store.FleetState("acme", [], "", 10)).FiringAlerts;
        Assert.Equal("dispatcher-7", firing.Single(a => a.AlertId == "a1").Acknowledgement.By);
        Assert.Null(firing.Single(a => a.AlertId == "a2").Acknowledgement);
        Assert.Equal(["a1"], store.Alerts("acme", any with { AlertIds = ["a1"] }, null, 10).Select(a => a.AlertId));
        Assert.Empty(store.Alerts("globex", any with { AlertIds = ["a1"] }, null, 10));
        Assert.Equal(["a2", "a1"], store.Alerts("acme", any with { AlertIds = ["a1", "a2", "a9"] }, null, 10).Select(a => a.AlertId));
        Assert.Empty(store.Alerts("acme", any with { AlertIds = [] }, null, 10));

        // Resolved later: the acknowledgement stays with the alert.
        store.Write(AlertChanges("acme", 5, Alert("a1", AlertState.Resolved, Noon, Noon + 600_000)));
        var resolved = Assert.Single(store.Alerts("acme", any with { AlertIds = ["a1"] }, null, 10));
        Assert.Equal((AlertState.Resolved, "dispatcher-7"), (resolved.State, resolved.Acknowledgement.By));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public void AnAcknowledgementThatComesBeforeItsAlert_WaitsForIt(string kind)
    {
        using var test = TestStores.Create(kind, clickHouse);
        var store = test.Store;
        var any = new AlertFilter("", "", AlertState.Unspecified, 0, 0);

        store.Write(AcknowledgementChanges("acme", 1, new AlertAcknowledgement("a1", "truck-1", "dispatcher-7", "seen", Noon + 60_000)));

        Assert.Empty(store.Alerts("acme", any, null, 10));
        Assert.Empty(store.FleetState("acme", [], "", 10));
        Assert.False(store.HasDevice("acme", "truck-1"));

        store.Write(AlertChanges("acme", 2, Alert("a1", AlertState.Firing, Noon, 0)));

        Assert.Equal("seen", Assert.Single(store.Alerts("acme", any, null, 10)).Acknowledgement.Note);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public void ARebuiltVersion_IsInvisibleUntilPromoted_ThenReplacesTheLiveOneWhole_AndOtherTenantsAreUntouched(string kind)
    {
        using var test = TestStores.Create(kind, clickHouse);
        var store = test.Store;
        store.Write(Changes("acme", ("telemetry.acme", 0, 5), BatchBuilder.For("ghost-truck", 4).StartingAt(Noon).Gps(2, _ => 5f).Temperatures(1, 30f)));
        var wrong = Alert("wrong-alert", AlertState.Firing, Noon, 0);
        wrong.DeviceId = "ghost-truck";
        store.Write(AlertChanges("acme", 3, wrong));
        store.Write(Changes("globex", ("telemetry.globex", 0, 1), BatchBuilder.For("van-1", 1).StartingAt(Noon).Gps(1, _ => 5f)));
        store.SetRetention("acme", new RetentionDays(30, 0, 0));

        var space = store.RebuildSpace("acme", out string whyNot);
        if (kind == TestStores.ClickHouseShared)
        {
            Assert.Null(space);
            Assert.Contains("DatabasePerTenant", whyNot, StringComparison.Ordinal);
            return;
        }

        using (space)
        {
            Assert.NotNull(space);
            space.Write(Changes("acme", ("telemetry.acme", 0, 7), BatchBuilder.For("truck-1", 2).StartingAt(Noon).Gps(3, _ => 50f).Temperatures(1, 4f)));
            space.Write(AlertChanges("acme", 2, Alert("a1", AlertState.Resolved, Noon, Noon + 60_000)));
            space.SetRetention("acme", new RetentionDays(30, 0, 0));

            // Built beside the live version: queries still read the live one, and the space is no tenant of the store.
            Assert.Equal("ghost-truck", Assert.Single(store.FleetState("acme", [], "", 10)).DeviceId);
            Assert.Equal(["acme", "globex"], store.Tenants());

            store.Promote("acme", space);
        }

        var state = Assert.Single(store.FleetState("acme", [], "", 10));
        Assert.Equal(("truck-1", 4f), (state.DeviceId, state.Temperatures.Single().TemperatureC));
        Assert.False(store.HasDevice("acme", "ghost-truck"));
        Assert.Equal(3, store.Track("acme", "truck-1", Noon, Noon + 60_000, long.MinValue, 100).Count);
        Assert.Equal("a1", Assert.Single(store.Alerts("acme", new AlertFilter("", "", AlertState.Unspecified, 0, 0), null, 10)).AlertId);
        Assert.Equal(new Dictionary<PartitionKey, long> { [new("telemetry.acme", 0)] = 7, [new("alerts.acme", 0)] = 2 }, store.Offsets("acme"));
        Assert.Equal(2ul, store.Sequences("acme")[new SenderKey("truck-1", "")]);
        Assert.Equal(new RetentionDays(30, 0, 0), store.Retention("acme"));
        Assert.Equal("van-1", Assert.Single(store.FleetState("globex", [], "", 10)).DeviceId);

        // Written to after the switch as before it, and a second rebuild finds an empty space.
        store.Write(Changes("acme", ("telemetry.acme", 0, 8), BatchBuilder.For("truck-2", 1).StartingAt(Noon).Gps(1, _ => 5f)));
        Assert.Equal(["truck-1", "truck-2"], store.FleetState("acme", [], "", 10).Select(d => d.DeviceId));
        using var again = store.RebuildSpace("acme", out _)!;
        Assert.Empty(again.FleetState("acme", [], "", 10));
        Assert.Empty(again.Offsets("acme"));
    }

    [Fact]
    public void ADuckDbFileMadeWhenRollupsHadAPrimaryKey_StillMergesThem()
    {
        using var folder = new TempFolder("fleet-history-old");
        using (var old = new DuckDB.NET.Data.DuckDBConnection($"Data Source={folder.File("acme.duckdb")}"))
        {
            old.Open();
            using var create = old.CreateCommand();
            create.CommandText = """
                CREATE TABLE rollups_minute(device VARCHAR NOT NULL, sensor VARCHAR NOT NULL, zone INTEGER NOT NULL, start_ms BIGINT NOT NULL,
                    min REAL NOT NULL, max REAL NOT NULL, sum DOUBLE NOT NULL, count BIGINT NOT NULL, last REAL NOT NULL, last_ms BIGINT NOT NULL,
                    PRIMARY KEY (device, sensor, zone, start_ms));
                """;
            create.ExecuteNonQuery();
        }

        using var store = new Store.DuckDb.DuckDbFleetStore(folder.Path);
        store.Write(Changes("acme", ("telemetry.acme", 0, 1), BatchBuilder.For("truck-1", 1).StartingAt(Noon).Temperatures(1, 2f, 4f)));
        store.Write(Changes("acme", ("telemetry.acme", 0, 2), BatchBuilder.For("truck-1", 2).StartingAt(Noon + 5_000).Temperatures(1, 9f)));

        var minute = Assert.Single(store.Rollups("acme", "truck-1", "temperature", 1, Resolution.Minute, Noon, Noon + 60_000, long.MinValue, 10));
        Assert.Equal((2f, 9f, 5.0, 3ul, 9f), (minute.Min, minute.Max, minute.Mean, minute.Count, minute.Last));
    }

    internal static TenantChanges AcknowledgementChanges(string tenant, long next, AlertAcknowledgement acknowledgement)
    {
        var changes = new TenantChanges(tenant);
        changes.AddAcknowledgement(acknowledgement);
        changes.Offsets[new PartitionKey("alerts." + tenant, 0)] = next;
        return changes;
    }

    internal static TenantChanges Changes(string tenant, (string Topic, int Partition, long Next) offset, Convoy.Contracts.Telemetry.V1.TelemetryBatch batch)
    {
        var changes = new TenantChanges(tenant);
        Assert.True(TelemetryFold.TryApply(changes, batch.DeviceId, batch.ToByteArray(), out _, out string? problem), problem);
        changes.Sequences[new SenderKey(batch.DeviceId, "")] = batch.Sequence;
        changes.Offsets[new PartitionKey(offset.Topic, offset.Partition)] = offset.Next;
        return changes;
    }

    internal static TenantChanges AlertChanges(string tenant, long next, Alert alert)
    {
        var changes = new TenantChanges(tenant);
        changes.AddAlert(alert);
        changes.Offsets[new PartitionKey("alerts." + tenant, 0)] = next;
        return changes;
    }

    internal static Alert Alert(string id, AlertState state, long start, long end) => new()
    {
        AlertId = id,
        TenantId = "acme",
        DeviceId = "truck-1",
        RuleId = "reefer-too-warm",
        Severity = Severity.Warning,
        State = state,
        StartTimeUnixMs = start,
        EndTimeUnixMs = end,
        TriggerValue = 9.5,
        TriggerUnit = "degC",
        Message = "zone 1 at 9.5 degC",
        LastPosition = new Position { LatitudeDeg = 52.1, LongitudeDeg = 4.9, TimeUnixMs = start, SpeedKmh = 0 },
        SourceSequence = 7,
    };
}
