using Convoy.FleetHistory.Store;
using Convoy.FleetHistory.Store.ClickHouse;
using Convoy.FleetHistory.Store.DuckDb;
using Convoy.Tenancy;

namespace Convoy.FleetHistory.Tests;

/// <summary>
/// The stores every store test runs against, by name: the embedded store always; ClickHouse, with
/// a database per tenant and with shared tables, where it is installed or required (CI requires
/// it), so every store passes the same tests. DuckDB is always a case, so the theory data is never
/// empty and may be enumerated at discovery. ClickHouse cases take the class's
/// <see cref="ClickHouseFixture"/>.
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
    public static TestStore Create(string kind, ClickHouseFixture clickHouse) => kind switch
    {
        DuckDb => DuckDbStore(),
        ClickHouse => new TestStore(clickHouse.Store(ClickHouseIsolation.DatabasePerTenant, ClickHouseFixture.NewDatabase()), null),
        ClickHouseShared => new TestStore(clickHouse.Store(ClickHouseIsolation.SharedTables, ClickHouseFixture.NewDatabase()), null),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a store"),
    };

    private static TestStore DuckDbStore()
    {
        var folder = new TempFolder("fleet-history");
        return new TestStore(new DuckDbFleetStore(folder.Path), folder);
    }
}

/// <summary>
/// A ClickHouse server for one test class (an xunit class fixture), started by the first case that
/// needs it, so that a class whose cases need none (or a machine without ClickHouse) starts none,
/// and killed when the class is done. Cases keep apart by a database (or database prefix) of their
/// own; a server per case would cost a second or two each.
/// </summary>
public sealed class ClickHouseFixture : IAsyncLifetime
{
    // Started off the test's synchronization context: a case that blocks on it must not wait for a
    // continuation queued behind itself on xunit's worker threads.
    private readonly Lazy<Task<ClickHouseTestServer>> _server = new(() => Task.Run(ClickHouseTestServer.StartAsync));

    public Uri Endpoint => _server.Value.GetAwaiter().GetResult().HttpEndpoint;

    /// <summary>A database name (or prefix) no other case uses.</summary>
    public static string NewDatabase() => "test_" + Guid.NewGuid().ToString("N");

    public async Task<Uri> EndpointAsync() => (await _server.Value).HttpEndpoint;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (!_server.IsValueCreated)
        {
            return;
        }

        // A start that failed has failed its cases already; there is nothing to stop.
        var start = _server.Value;
        await ((Task)start).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (start.IsCompletedSuccessfully)
        {
            await start.Result.DisposeAsync();
        }
    }

    /// <summary>A store on this server, looking up where each tenant is as the program's does; <paramref name="registry"/> as the tenant registry chooses (none: every tenant <paramref name="isolation"/>).</summary>
    internal ClickHouseFleetStore Store(ClickHouseIsolation isolation, string database, HttpMessageHandler? requests = null, Func<string, ClickHouseIsolation?>? registry = null) =>
        new(Endpoint, isolation, database, requests, registry ?? (static _ => null));
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
