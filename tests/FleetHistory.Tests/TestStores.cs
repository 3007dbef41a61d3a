using Convoy.FleetHistory.Store;
using Convoy.FleetHistory.Store.DuckDb;

namespace Convoy.FleetHistory.Tests;

/// <summary>
/// The stores every store test runs against, by name: the embedded store always; ClickHouse
/// where it is installed (CI requires it), so both stores pass the same tests.
/// </summary>
internal static class TestStores
{
    public static TheoryData<string> Kinds => ["duckdb"];

    /// <summary>A fresh, empty store of that kind, and what it needs; dispose to remove it.</summary>
    public static TestStore Create(string kind) => kind switch
    {
        "duckdb" => new TestStore(new TempFolder("fleet-history"), folder => new DuckDbFleetStore(folder)),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a store"),
    };
}

internal sealed class TestStore : IDisposable
{
    private readonly TempFolder _folder;

    public TestStore(TempFolder folder, Func<string, IFleetStore> create)
    {
        _folder = folder;
        Store = create(folder);
    }

    public IFleetStore Store { get; }

    public string Folder => _folder.Path;

    public void Dispose()
    {
        Store.Dispose();
        _folder.Dispose();
    }
}
