using Convoy.Contracts.Alerts.V1;
using Convoy.Contracts.Fleet.V1;
using Convoy.FleetHistory.Store;
using Convoy.FleetHistory.Store.ClickHouse;
using Convoy.Tenancy;
using static Convoy.FleetHistory.Tests.FleetStoreTests;

namespace Convoy.FleetHistory.Tests;

/// <summary>
/// What only the ClickHouse store has to show, against a real ClickHouse (the
/// class's <see cref="ClickHouseFixture"/>): a flush without transactions is still all or nothing, and with
/// shared tables no statement it sends reaches beyond the caller's tenant. The cases exist where
/// ClickHouse is installed or required (<see cref="ClickHouseTestServer.WhereInstalled"/>).
/// </summary>
public sealed class ClickHouseFleetStoreTests(ClickHouseFixture clickHouse) : IClassFixture<ClickHouseFixture>
{
    private static readonly PartitionKey Telemetry = new("telemetry.acme", 0);
    private static readonly PartitionKey Alerts = new("alerts.acme", 0);

    public static IEnumerable<object[]> Isolations =>
        from server in ClickHouseTestServer.WhereInstalled
        from isolation in new[] { ClickHouseIsolation.DatabasePerTenant, ClickHouseIsolation.SharedTables }
        select new object[] { server[0], isolation };

    /// <summary>Where a flush breaks off: in the middle, at the offsets (its last rows), or at its commit.</summary>
    public static IEnumerable<object[]> Crashes =>
        from isolation in Isolations
        from insert in new[] { ClickHouseSchema.RollupsHour, ClickHouseSchema.Offsets, "commit" }
        select new object[] { isolation[0], isolation[1], insert };

    [Theory]
    [MemberData(nameof(Crashes), DisableDiscoveryEnumeration = true)]
    public void AFlushCutOffBeforeItsCommit_IsInvisible_AndProjectingItAgainCountsNothingTwice(string server, ClickHouseIsolation isolation, string brokenInsert)
    {
        Assert.NotEmpty(server);
        string database = ClickHouseFixture.NewDatabase();
        var requests = new ClickHouseRequests();
        using (var store = clickHouse.Store(isolation, database, requests))
        {
            store.Write(First());
            requests.Fail = brokenInsert == "commit"
                ? static s => s.IsInsertInto(ClickHouseSchema.Flushes) && s.Rows!.EndsWith("\t-1\n", StringComparison.Ordinal)
                : s => s.IsInsertInto(brokenInsert);

            var failed = Assert.Throws<StoreUnavailableException>(() => store.Write(Second()));

            Assert.Contains("cannot be reached", failed.Message, StringComparison.Ordinal);
            Assert.Contains(requests.Sent, s => s.IsInsertInto(ClickHouseSchema.Positions) && s.Rows!.Contains("\t52.5\t", StringComparison.Ordinal));
        }

        // As the projector after a crash: a new process reads where to resume. The cut-off flush's
        // rows (some of them landed) are not there, nor its offsets and sequence marks, so its
        // records are read again and none is taken for a replay.
        using var restarted = clickHouse.Store(isolation, database);
        Assert.Equal(1, restarted.Offsets("acme")[Telemetry]);
        Assert.False(restarted.Offsets("acme").ContainsKey(Alerts));
        Assert.Equal(1ul, restarted.Sequences("acme")[new SenderKey("truck-1", "")]);
        AssertFirstOnly(restarted);

        restarted.Write(Second());

        var minute = Assert.Single(restarted.Rollups("acme", "truck-1", "temperature", 1, Resolution.Minute, Noon, Noon + 60_000, long.MinValue, 10));
        Assert.Equal((2f, 9f, 5ul, 9f), (minute.Min, minute.Max, minute.Count, minute.Last));
        Assert.Equal(5ul, Assert.Single(restarted.Rollups("acme", "truck-1", "temperature", 1, Resolution.Hour, Noon, Noon + 3_600_000, long.MinValue, 10)).Count);
        Assert.Equal(2, restarted.Track("acme", "truck-1", Noon, Noon + 60_000, long.MinValue, 10).Count);
        Assert.Equal(AlertState.Firing, Assert.Single(restarted.Alerts("acme", new AlertFilter("", "", AlertState.Unspecified, 0, 0), null, 10)).State);
        Assert.Equal((2L, 2L), (restarted.Offsets("acme")[Telemetry], restarted.Offsets("acme")[Alerts]));
        Assert.Equal(2ul, restarted.Sequences("acme")[new SenderKey("truck-1", "")]);
        var state = Assert.Single(restarted.FleetState("acme", [], "", 10));
        Assert.Equal((52.5, 9f), (state.Position.LatitudeDeg, Assert.Single(state.Temperatures).TemperatureC));
    }

    [Theory]
    [MemberData(nameof(Isolations), DisableDiscoveryEnumeration = true)]
    public void EveryStatementTheStoreSends_IsScopedToTheCallersTenant(string server, ClickHouseIsolation isolation)
    {
        Assert.NotEmpty(server);
        string database = ClickHouseFixture.NewDatabase();
        var requests = new ClickHouseRequests();
        using var store = clickHouse.Store(isolation, database, requests);
        foreach (string tenant in new[] { "acme", "globex" })
        {
            requests.Clear();
            var changes = Changes(tenant, ("telemetry." + tenant, 0, 1), BatchBuilder.For("truck-1", 1).StartingAt(Noon).Gps(1, _ => 10f).Temperatures(1, 4f).Fuel(1, _ => 50f));
            changes.AddAlert(Alert("a1", AlertState.Firing, Noon, 0));
            store.Write(changes);
            TenantStatements.AssertScoped(requests.Sent, isolation, database, tenant);
        }

        foreach (string tenant in new[] { "acme", "globex", "initech" })
        {
            requests.Clear();
            bool known = tenant != "initech";

            Assert.Equal(known, store.HasDevice(tenant, "truck-1"));
            Assert.Equal(known ? 1 : 0, store.FleetState(tenant, [], "", 10).Count);
            Assert.Equal(known ? 1 : 0, store.FleetState(tenant, ["truck-1", "truck-2"], "", 10).Count);
            Assert.Equal(known ? 1 : 0, store.Track(tenant, "truck-1", Noon, Noon + 60_000, long.MinValue, 10).Count);
            Assert.Equal(known ? 1 : 0, store.Rollups(tenant, "truck-1", "temperature", 1, Resolution.Hour, Noon, Noon + 3_600_000, long.MinValue, 10).Count);
            Assert.Equal(known ? 1 : 0, store.Alerts(tenant, new AlertFilter("truck-1", "reefer-too-warm", AlertState.Firing, Noon, Noon + 1), new AlertCursor(Noon + 1, "a0"), 10).Count);
            Assert.Equal(known ? 1 : 0, store.Offsets(tenant).Count);
            Assert.Equal(known ? 1 : 0, store.Sequences(tenant).Count);

            TenantStatements.AssertScoped(requests.Sent, isolation, database, tenant);
        }
    }

    [Theory]
    [MemberData(nameof(Isolations), DisableDiscoveryEnumeration = true)]
    public void ADatabaseDroppedUnderTheStore_FailsOneWrite_AndTheNextMakesItAgain(string server, ClickHouseIsolation isolation)
    {
        Assert.NotEmpty(server);
        string database = ClickHouseFixture.NewDatabase();
        using var store = clickHouse.Store(isolation, database);
        store.Write(First());
        using (var admin = new ClickHouseConnection(clickHouse.Endpoint))
        {
            admin.Execute($"DROP DATABASE {new TenantScope(isolation, database, "acme").Database}");
        }

        var failed = Assert.Throws<StoreUnavailableException>(() => store.Write(Second()));
        Assert.Contains("Code: 81", failed.Message, StringComparison.Ordinal);
        Assert.Empty(store.Offsets("acme"));

        store.Write(First());

        Assert.Equal(1, store.Offsets("acme")[Telemetry]);
        AssertFirstOnly(store);
    }

    public static IEnumerable<object[]> Servers => ClickHouseTestServer.WhereInstalled;

    [Theory]
    [MemberData(nameof(Servers), DisableDiscoveryEnumeration = true)]
    public void TheRegistryChoosesEachTenantsLayout_ATenantStaysWhereItsProjectionsAre_AndARebuildMovesItIntoADatabaseOfItsOwn(string server)
    {
        Assert.NotEmpty(server);
        string database = ClickHouseFixture.NewDatabase();
        var registry = new Dictionary<string, ClickHouseIsolation> { ["acme"] = ClickHouseIsolation.SharedTables };
        using var sql = new ClickHouseConnection(clickHouse.Endpoint);
        using (var store = clickHouse.Store(ClickHouseIsolation.DatabasePerTenant, database, registry: t => registry.TryGetValue(t, out var i) ? i : null))
        {
            store.Write(Changes("acme", ("telemetry.acme", 0, 1), BatchBuilder.For("truck-1", 1).StartingAt(Noon).Gps(2, _ => 10f).Temperatures(1, 4f)));
            store.Write(Changes("globex", ("telemetry.globex", 0, 1), BatchBuilder.For("van-1", 1).StartingAt(Noon).Gps(1, _ => 20f)));
            Assert.Equal(["acme", "globex"], store.Tenants());
            Assert.Equal("truck-1", Assert.Single(store.FleetState("acme", [], "", 10)).DeviceId);
            Assert.Equal("van-1", Assert.Single(store.FleetState("globex", [], "", 10)).DeviceId);
        }

        // acme in the tables every shared tenant uses, globex in a database of its own (the default).
        Assert.Equal([$"{database}_globex"], Databases(sql, database));
        Assert.Equal(["acme"], Strings(sql, $"SELECT DISTINCT tenant FROM {database}.{ClickHouseSchema.Positions}"));

        // The registry changes its mind: after a restart each tenant is still read where its projections are.
        registry["acme"] = ClickHouseIsolation.DatabasePerTenant;
        registry["globex"] = ClickHouseIsolation.SharedTables;
        using var restarted = clickHouse.Store(ClickHouseIsolation.DatabasePerTenant, database, registry: t => registry.TryGetValue(t, out var i) ? i : null);
        Assert.Equal(2, restarted.Track("acme", "truck-1", Noon, Noon + 60_000, long.MinValue, 10).Count);
        Assert.Equal("van-1", Assert.Single(restarted.FleetState("globex", [], "", 10)).DeviceId);
        restarted.Write(Changes("acme", ("telemetry.acme", 0, 2), BatchBuilder.For("truck-1", 2).StartingAt(Noon + 60_000).Gps(1, _ => 30f)));
        Assert.Equal(3, restarted.Track("acme", "truck-1", Noon, Noon + 120_000, long.MinValue, 10).Count);
        Assert.Equal([$"{database}_globex"], Databases(sql, database));

        // A rebuild of acme, now that the registry gives it a database, moves it there whole.
        using (var space = restarted.RebuildSpace("acme", out string whyNot))
        {
            Assert.True(space is not null, whyNot);
            space.Write(Changes("acme", ("telemetry.acme", 0, 2), BatchBuilder.For("truck-1", 2).StartingAt(Noon).Gps(3, _ => 10f).Temperatures(1, 5f)));
            restarted.Promote("acme", space);
        }

        Assert.Equal([$"{database}_acme", $"{database}_globex"], Databases(sql, database));
        Assert.Empty(Strings(sql, $"SELECT DISTINCT tenant FROM {database}.{ClickHouseSchema.Positions}"));
        Assert.Equal(5f, Assert.Single(Assert.Single(restarted.FleetState("acme", [], "", 10)).Temperatures).TemperatureC);
        Assert.Equal(3, restarted.Track("acme", "truck-1", Noon, Noon + 120_000, long.MinValue, 10).Count);
        Assert.Equal(2, restarted.Offsets("acme")[new PartitionKey("telemetry.acme", 0)]);
        Assert.Equal("van-1", Assert.Single(restarted.FleetState("globex", [], "", 10)).DeviceId);
        Assert.Equal(["acme", "globex"], restarted.Tenants());

        // A tenant that would stay in the shared tables cannot be rebuilt, and says what would let it.
        using var sharedOnly = clickHouse.Store(ClickHouseIsolation.SharedTables, ClickHouseFixture.NewDatabase());
        sharedOnly.Write(Changes("initech", ("telemetry.initech", 0, 1), BatchBuilder.For("truck-9", 1).StartingAt(Noon).Gps(1, _ => 10f)));
        Assert.Null(sharedOnly.RebuildSpace("initech", out string refusal));
        Assert.Contains("Tenants:initech:Store:Isolation = DatabasePerTenant", refusal, StringComparison.Ordinal);
    }

    private static List<string> Databases(ClickHouseConnection sql, string database) =>
        Strings(sql, $"SELECT name FROM system.databases WHERE startsWith(name, '{database}_') ORDER BY name");

    private static List<string> Strings(ClickHouseConnection sql, string query)
    {
        var values = new List<string>();
        sql.Select(query, r => values.Add(r.String(0)));
        return values;
    }

    private static TenantChanges First() =>
        Changes("acme", (Telemetry.Topic, 0, 1), BatchBuilder.For("truck-1", 1).StartingAt(Noon).Temperatures(1, 2f, 3f, 4f).Gps(1, _ => 10f));

    /// <summary>Telemetry and an alert, from two partitions: every table gets rows.</summary>
    private static TenantChanges Second()
    {
        var changes = Changes("acme", (Telemetry.Topic, 0, 2),
            BatchBuilder.For("truck-1", 2).StartingAt(Noon + 10_000).Temperatures(1, 5f, 9f).Gps(1, _ => 20f, _ => (52.5, 4.9)).Fuel(1, _ => 40f));
        changes.AddAlert(Alert("a1", AlertState.Firing, Noon + 10_000, 0));
        changes.Offsets[Alerts] = 2;
        return changes;
    }

    private static void AssertFirstOnly(ClickHouseFleetStore store)
    {
        var minute = Assert.Single(store.Rollups("acme", "truck-1", "temperature", 1, Resolution.Minute, Noon, Noon + 60_000, long.MinValue, 10));
        Assert.Equal((2f, 4f, 3ul, 4f), (minute.Min, minute.Max, minute.Count, minute.Last));
        Assert.Equal(3ul, Assert.Single(store.Rollups("acme", "truck-1", "temperature", 1, Resolution.Hour, Noon, Noon + 3_600_000, long.MinValue, 10)).Count);
        Assert.Single(store.Track("acme", "truck-1", Noon, Noon + 60_000, long.MinValue, 10));
        Assert.Empty(store.Alerts("acme", new AlertFilter("", "", AlertState.Unspecified, 0, 0), null, 10));
        var state = Assert.Single(store.FleetState("acme", [], "", 10));
        Assert.Equal((Noon, 4f), (state.Position.TimeUnixMs, Assert.Single(state.Temperatures).TemperatureC));
        Assert.Null(state.Fuel);
    }
}
