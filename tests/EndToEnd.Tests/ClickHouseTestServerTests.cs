using System.Globalization;
using Xunit.Sdk;

namespace Convoy.EndToEnd.Tests;

/// <summary>
/// The kit's ClickHouse fixture: private servers side by side, data that survives a restart and a
/// kill, servers of a killed test process cleaned up, and the SQL the read side's store may use on
/// Debian's ClickHouse 18.16 (the server CI installs).
/// </summary>
/// <remarks>
/// The tests that need a server take their one case from <see cref="ClickHouseTestServer.WhereInstalled"/>,
/// enumerated when they run: where ClickHouse is neither installed nor required there is no case, so
/// the test gives no result at all. It is not skipped (the project allows no skipped tests) and does
/// not pass without a server (a test that returned early would). There is no stand-in server to
/// fall back on, as MQTTnet's broker is for Mosquitto in the MQTT tests. Where CI sets
/// CONVOY_REQUIRE_CLICKHOUSE=1 the case exists even without ClickHouse, and fails saying to install it.
/// </remarks>
public sealed class ClickHouseTestServerTests
{
    // 2023-11-14T22:13:20.123Z and later, in epoch milliseconds, the read side's time column.
    private const long At = 1_700_000_000_123;

    public static IEnumerable<object[]> Servers => ClickHouseTestServer.WhereInstalled;

    [Theory]
    [MemberData(nameof(Servers), DisableDiscoveryEnumeration = true)]
    public async Task TwoServersAtOnce_KeepTheirOwnData_AcrossARestartAndAKill(string server)
    {
        var starting = new[] { ClickHouseTestServer.StartAsync(), ClickHouseTestServer.StartAsync() };
        await using var first = await starting[0];
        await using var second = await starting[1];
        using var toFirst = new ClickHouseHttpClient(first.HttpEndpoint);
        using var toSecond = new ClickHouseHttpClient(second.HttpEndpoint);

        Assert.Equal(server, first.Command);
        Assert.NotEqual(first.HttpPort, second.HttpPort);
        foreach (var client in new[] { toFirst, toSecond })
        {
            // The read side's SQL is kept to what 18.16 accepts, and 18.16 is what CI runs.
            Assert.StartsWith("18.16.", await client.QueryAsync("SELECT version()"), StringComparison.Ordinal);
            await client.QueryAsync("CREATE TABLE readings (tenant String, device String, at_ms Int64, value Float64) "
                + "ENGINE = MergeTree() PARTITION BY tenant ORDER BY (tenant, device, at_ms)");
        }

        await toFirst.QueryAsync("INSERT INTO readings FORMAT JSONEachRow",
            $$"""
            {"tenant":"acme","device":"truck-1","at_ms":{{At}},"value":-18.5}
            {"tenant":"acme","device":"truck-1","at_ms":{{At + 1_000}},"value":-18.25}
            """);
        await toSecond.QueryAsync("INSERT INTO readings FORMAT TabSeparated", $"globex\ttruck-9\t{At}\t61.5\n");
        string firstRows = $"acme\ttruck-1\t{At}\t-18.5\nacme\ttruck-1\t{At + 1_000}\t-18.25\n";
        string secondRows = $"globex\ttruck-9\t{At}\t61.5\n";
        const string Select = "SELECT tenant, device, at_ms, value FROM readings ORDER BY tenant, device, at_ms FORMAT TabSeparated";
        Assert.Equal(firstRows, await toFirst.QueryAsync(Select));
        Assert.Equal(secondRows, await toSecond.QueryAsync(Select));

        await first.RestartAsync();
        Assert.Equal(firstRows, await toFirst.QueryAsync(Select));
        Assert.Equal(secondRows, await toSecond.QueryAsync(Select));

        // An insert ClickHouse acknowledged is in a part on disk: it survives a kill too.
        await second.KillAsync();
        Assert.False(second.IsRunning);
        await Assert.ThrowsAsync<HttpRequestException>(() => toSecond.QueryAsync("SELECT 1"));
        await second.StartAgainAsync();
        Assert.Equal(secondRows, await toSecond.QueryAsync(Select));
        Assert.Equal(firstRows, await toFirst.QueryAsync(Select));
    }

    [Theory]
    [MemberData(nameof(Servers), DisableDiscoveryEnumeration = true)]
    public async Task ServerOfAKilledTestProcess_IsKilledAndItsFolderDeleted_ByTheNextRun(string server)
    {
        await using var abandoned = await ClickHouseTestServer.StartAsync();
        Assert.Equal(server, abandoned.Command);
        Assert.True(abandoned.IsRunning);

        // As if the test process had died and its id had gone to another process: same id, another start time.
        File.WriteAllText(Path.Combine(abandoned.Folder, "owner"), $"{Environment.ProcessId} 1");
        ClickHouseTestServer.RemoveAbandonedServers();

        await Eventually.HoldsAsync(() => !abandoned.IsRunning, "the abandoned server to be killed");
        Assert.False(Directory.Exists(abandoned.Folder));
    }

    [Theory]
    [MemberData(nameof(Servers), DisableDiscoveryEnumeration = true)]
    public async Task ServerOfALiveTestProcess_IsLeftAlone(string server)
    {
        await using var running = await ClickHouseTestServer.StartAsync();
        using var client = new ClickHouseHttpClient(running.HttpEndpoint);

        ClickHouseTestServer.RemoveAbandonedServers();

        Assert.Equal(server, running.Command);
        Assert.Equal("1\n", await client.QueryAsync("SELECT 1"));
        Assert.True(Directory.Exists(running.Folder));
    }

    /// <summary>
    /// What the read side's store may rely on, each accepted by ClickHouse 18.16: replacing rows by
    /// version (FINAL, argMax), deleting by mutation (asynchronous: no mutations_sync setting in 18.16,
    /// so the store waits on system.mutations), dropping a partition, and JSONEachRow inserts of Int64
    /// milliseconds as numbers or strings (beyond 2^53, where a double would round).
    /// </summary>
    [Theory]
    [MemberData(nameof(Servers), DisableDiscoveryEnumeration = true)]
    public async Task TheSqlTheStoreMayUse_IsAccepted(string server)
    {
        await using var clickHouse = await ClickHouseTestServer.StartAsync();
        using var client = new ClickHouseHttpClient(clickHouse.HttpEndpoint);
        Assert.Equal(server, clickHouse.Command);
        await client.QueryAsync("CREATE TABLE latest (tenant String, device String, at_ms Int64, value Float64, version UInt64) "
            + "ENGINE = ReplacingMergeTree(version) PARTITION BY (tenant, intDiv(at_ms, 86400000)) ORDER BY (tenant, device, at_ms)");

        await client.QueryAsync("INSERT INTO latest FORMAT JSONEachRow",
            $$"""
            {"tenant":"acme","device":"truck-1","at_ms":{{At}},"value":1.5,"version":1}
            {"tenant":"acme","device":"truck-2","at_ms":"{{At}}","value":7,"version":1}
            {"tenant":"globex","device":"truck-9","at_ms":9007199254740993,"value":4,"version":1}
            """);
        await client.QueryAsync("INSERT INTO latest FORMAT JSONEachRow", $$"""{"tenant":"acme","device":"truck-1","at_ms":{{At}},"value":2.5,"version":2}""");

        Assert.Equal($"truck-1\t{At}\t2.5\ntruck-2\t{At}\t7\n",
            await client.QueryAsync("SELECT device, at_ms, value FROM latest FINAL WHERE tenant = 'acme' ORDER BY device FORMAT TabSeparated"));
        Assert.Equal("truck-1\t2.5\ntruck-2\t7\n",
            await client.QueryAsync("SELECT device, argMax(value, version) FROM latest WHERE tenant = 'acme' GROUP BY device ORDER BY device FORMAT TabSeparated"));
        Assert.Equal("9007199254740993\n", await client.QueryAsync("SELECT at_ms FROM latest WHERE tenant = 'globex'"));

        await client.QueryAsync("ALTER TABLE latest DELETE WHERE tenant = 'acme' AND device = 'truck-2'");
        await Eventually.HoldsAsync(
            async () => await client.QueryAsync("SELECT count() FROM system.mutations WHERE table = 'latest' AND NOT is_done") == "0\n",
            "the delete mutation to finish");
        Assert.Equal("truck-1\n", await client.QueryAsync("SELECT DISTINCT device FROM latest WHERE tenant = 'acme'"));

        long day = At / 86_400_000;
        await client.QueryAsync(string.Create(CultureInfo.InvariantCulture, $"ALTER TABLE latest DROP PARTITION ('acme', {day})"));
        Assert.Equal("globex\n", await client.QueryAsync("SELECT DISTINCT tenant FROM latest"));
    }

    [Theory]
    [InlineData(true, "CONVOY_REQUIRE_CLICKHOUSE=1 but clickhouse-server is not installed: run `apt-get install -y clickhouse-server`")]
    [InlineData(false, "a test that needs it takes its cases from ClickHouseTestServer.WhereInstalled")]
    public async Task StartAsync_WithoutClickHouse_FailsSayingWhatToDo(bool required, string expected)
    {
        var failure = await Assert.ThrowsAnyAsync<XunitException>(() => ClickHouseTestServer.StartAsync(command: null, required));

        Assert.Contains(expected, failure.Message, StringComparison.Ordinal);
    }
}
