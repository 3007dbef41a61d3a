using Convoy.FleetHistory.Store;
using Convoy.FleetHistory.Store.ClickHouse;
using Convoy.FleetHistory.Store.DuckDb;

namespace Convoy.FleetHistory.Tests;

/// <summary>
/// The stores every store test runs against, by name: the embedded store always; ClickHouse, with
/// a database per tenant and with shared tables, where it is installed or required (CI requires
/// it), so every store passes the same tests. DuckDB is always a case, so the theory data is never
/// empty and may be enumerated at discovery.
/// </summary>
internal static class TestStores
{
    public const string DuckDb = "duckdb";
    public const string ClickHouse = "clickhouse";
    public const string ClickHouseShared = "clickhouse-shared-tables";

    public static TheoryData<string> Kinds
    {
        get
        {
            var kinds = new TheoryData<string> { DuckDb };
            if (ClickHouseTestServer.WhereInstalled.Any())
            {
                // Where it is required but missing, these cases fail on start saying to install it.
                kinds.Add(ClickHouse);
                kinds.Add(ClickHouseShared);
            }

            return kinds;
        }
    }

    /// <summary>A fresh, empty store of that kind, and what it needs; dispose to remove it.</summary>
    public static TestStore Create(string kind, HttpMessageHandler? clickHouseRequests = null) => kind switch
    {
        DuckDb => DuckDbStore(),
        ClickHouse => new TestStore(SharedClickHouse.Store(ClickHouseIsolation.DatabasePerTenant, SharedClickHouse.NewDatabase(), clickHouseRequests), null),
        ClickHouseShared => new TestStore(SharedClickHouse.Store(ClickHouseIsolation.SharedTables, SharedClickHouse.NewDatabase(), clickHouseRequests), null),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a store"),
    };

    private static TestStore DuckDbStore()
    {
        var folder = new TempFolder("fleet-history");
        return new TestStore(new DuckDbFleetStore(folder.Path), folder);
    }
}

/// <summary>
/// One ClickHouse server for the whole test assembly, started by the first test that needs it:
/// a server per test would cost a second or two each. Tests keep apart by a database (or database
/// prefix) of their own. It is never disposed: the fixture kills its servers when the test process
/// exits, and the next run removes any that a killed process left.
/// </summary>
internal static class SharedClickHouse
{
    // Started off the test's synchronization context: a test that blocks on it must not wait for a
    // continuation queued behind itself on xunit's two worker threads.
    private static readonly Lazy<Task<ClickHouseTestServer>> Server = new(() => Task.Run(ClickHouseTestServer.StartAsync));

    public static async Task<Uri> EndpointAsync() => (await Server.Value).HttpEndpoint;

    public static Uri Endpoint => Server.Value.GetAwaiter().GetResult().HttpEndpoint;

    /// <summary>A database name (or prefix) no other test uses.</summary>
    public static string NewDatabase() => "test_" + Guid.NewGuid().ToString("N");

    public static ClickHouseFleetStore Store(ClickHouseIsolation isolation, string database, HttpMessageHandler? requests = null) =>
        new(Endpoint, isolation, database, requests);
}

internal sealed class TestStore(IFleetStore store, IDisposable? resources) : IDisposable
{
    public IFleetStore Store { get; } = store;

    public void Dispose()
    {
        Store.Dispose();
        resources?.Dispose();
    }
}
