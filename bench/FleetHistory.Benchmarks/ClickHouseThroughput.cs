using System.Diagnostics;
using System.Globalization;
using Convoy.FleetHistory.Store;
using Convoy.FleetHistory.Store.ClickHouse;
using Convoy.Tenancy;
using Convoy.TestKit;

namespace Convoy.FleetHistory.Benchmarks;

/// <summary>
/// Target 1 into ClickHouse: the same records and projector feed as <see cref="Throughput"/>,
/// written with <see cref="ClickHouseFleetStore.Write"/> (a database per tenant) to a private
/// <c>clickhouse-server</c> on loopback (<see cref="ClickHouseTestServer"/>). Here the store's work
/// is split between two processes, so "per core" counts both: the bench process's CPU (the fold,
/// the TabSeparated rows, HTTP) and the server's (parsing the rows, sorting and writing parts), read
/// from /proc/&lt;pid&gt;/stat while the feed runs. The server's merges run in the background after
/// the inserts; the CPU it spends until it is idle again is reported beside the figure, not in it.
/// The server's data is under the temporary folder (TMPDIR): while databases were being dropped on
/// this machine's ext4, most of the server's CPU was the kernel making the files of parts
/// (docs/benchmarks.md, "Into ClickHouse"), so TMPDIR=/dev/shm (tmpfs) tells the file system apart
/// from ClickHouse's own work.
/// </summary>
internal static class ClickHouseThroughput
{
    private const string Database = "convoy";

    public static async Task<bool> RunAsync(Settings settings)
    {
        if (!ClickHouseTestServer.IsInstalled)
        {
            Console.Error.WriteLine("--store clickhouse needs clickhouse-server: `apt-get install -y clickhouse-server`");
            return false;
        }

        var duration = TimeSpan.FromMinutes(settings.ThroughputMinutes);
        Console.WriteLine($"== Projection throughput into ClickHouse: {settings.ThroughputTrucks:N0} trucks x {duration.TotalMinutes:N0} min of 10-s batches, flushes of {string.Join(", ", settings.FlushSizes)} records, {settings.Repeat} run(s)");
        var records = FleetData.Generate(settings.ThroughputTrucks, duration, settings.Scalars).ToList();
        long readings = records.Sum(r => (long)r.Readings);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"   {records.Count:N0} batches, {readings:N0} readings ({(double)readings / records.Count:N0} per batch, {records.Average(r => r.Payload.Length):N0} B encoded); {Machine.Load()}"));

        await using var server = await ClickHouseTestServer.StartAsync();
        var serverCpu = ServerCpu.Find();
        using var connection = new ClickHouseConnection(server.HttpEndpoint);
        string version = "";
        connection.Select("SELECT version()", r => version = r.String(0));
        Console.WriteLine($"   {server.Command} {version} at {server.HttpEndpoint}, process {serverCpu.ProcessId}; idle it takes {serverCpu.IdleShare():P1} of a core");
        using var store = new ClickHouseFleetStore(server.HttpEndpoint, ClickHouseIsolation.DatabasePerTenant, Database);

        // JIT (every measured loop once in full) and the server's first tables and inserts, outside every measurement.
        Throughput.ReadEverything(records);
        var folding = new ProjectorFeed("warm", null, settings.FlushSizes[0]);
        foreach (var record in records)
        {
            folding.Add(record);
        }

        // 60 flushes, so the write path's methods pass the 30 calls after which .NET recompiles them
        // optimised (in the background: a profile of a run warmed with 6 flushes had the JIT in 12 % of
        // the first measurement's samples).
        var warm = new ProjectorFeed("warm", store, 50);
        foreach (var record in records.Take(3_000))
        {
            warm.Add(record);
        }

        warm.Flush();
        Thread.Sleep(TimeSpan.FromSeconds(2));
        serverCpu.WaitUntilIdle(connection);

        for (int run = 1; run <= settings.Repeat; run++)
        {
            Console.WriteLine($"-- run {run} ({Machine.Load()})");
            double sum = 0;
            var read = Cost.Of(() => sum = Throughput.ReadEverything(records));
            Throughput.Print("read every value (reference)", read, readings);
            var fold = Cost.Of(() =>
            {
                var feed = new ProjectorFeed("bench", null, settings.FlushSizes[0]);
                foreach (var record in records)
                {
                    feed.Add(record);
                }

                feed.Flush();
            });
            Throughput.Print($"fold only ({settings.FlushSizes[0]} per flush)", fold, readings);
            foreach (int flush in settings.FlushSizes)
            {
                string tenant = string.Create(CultureInfo.InvariantCulture, $"bench-{run}-{flush}");
                var written = Measure(store, connection, serverCpu, tenant, records.Count, flush, feed =>
                {
                    foreach (var record in records)
                    {
                        feed.Add(record);
                    }
                });
                written.Print($"fold + ClickHouse write, {flush} records/flush", readings, read);
            }

            Live(records, store, connection, serverCpu, run);
            GC.KeepAlive(sum);
        }

        return true;
    }

    /// <summary>As <see cref="Throughput"/>'s live figure: flushes of 25 records, what 250 ms gathers from 1,000 trucks.</summary>
    private static void Live(List<FleetRecord> records, ClickHouseFleetStore store, ClickHouseConnection connection, ServerCpu serverCpu, int run)
    {
        const int PerFlush = 25, Flushes = 200;
        var sample = records.Take(PerFlush * Flushes).ToList();
        long readings = sample.Sum(r => (long)r.Readings);
        string tenant = string.Create(CultureInfo.InvariantCulture, $"bench-{run}-live");
        var cost = Measure(store, connection, serverCpu, tenant, sample.Count, PerFlush, feed =>
        {
            foreach (var record in sample)
            {
                feed.Add(record);
            }
        });
        cost.Print($"live: flushes of {PerFlush} records (1,000 trucks, 250 ms)", readings);
        double cpuMs = (cost.Client.Cpu + cost.Server).TotalMilliseconds / Flushes;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"       {cost.Client.Wall.TotalMilliseconds / Flushes:N1} ms wall, {cpuMs:N1} ms CPU per flush ({cost.Client.Cpu.TotalMilliseconds / Flushes:N1} bench, {cost.Server.TotalMilliseconds / Flushes:N1} server): keeping up with 1,000 trucks takes {cpuMs * 4 / 1000:P0} of a core"));
    }

    /// <summary>
    /// Feeds a new tenant (its database and tables made first, outside the measurement; they stay
    /// until the server goes with its folder: dropping a database of thousands of parts outlasted the
    /// store's 30-s timeout here) with flushes
    /// of <paramref name="flushRecords"/>; the bench's and the server's CPU while it runs, and the
    /// server's until it is idle again afterwards (its merges of the new parts).
    /// </summary>
    private static TwoProcessCost Measure(ClickHouseFleetStore store, ClickHouseConnection connection, ServerCpu serverCpu, string tenant, int records,
        int flushRecords, Action<ProjectorFeed> feedAll)
    {
        store.Write(new TenantChanges(tenant));
        serverCpu.WaitUntilIdle(connection);
        var before = ServerEvents.Read(connection);
        ServerTimes serverStart = default, serverEnd = default;
        int flushes = 0;
        var client = Cost.Of(() =>
        {
            serverStart = serverCpu.Read();
            var feed = new ProjectorFeed(tenant, store, flushRecords);
            feedAll(feed);
            feed.Flush();
            serverEnd = serverCpu.Read();
            flushes = feed.Flushes;
        });
        var settled = serverCpu.WaitUntilIdle(connection);
        var events = ServerEvents.Read(connection) - before;
        return new TwoProcessCost(client, serverEnd - serverStart, (settled - serverEnd).Total, flushes, records, events);
    }
}

/// <summary>
/// One measured feed into ClickHouse: the bench process's <see cref="Cost"/>, the server's CPU over
/// the same stretch, the server's CPU afterwards until idle (merges), and what the server counted.
/// </summary>
internal readonly record struct TwoProcessCost(Cost Client, ServerTimes ServerTimes, TimeSpan ServerAfter, int Flushes, int Records, ServerEvents Events)
{
    public TimeSpan Server => ServerTimes.Total;

    public TimeSpan Cpu => Client.Cpu + Server;

    public void Print(string what, long readings, Cost? reference = null)
    {
        double share = Client.Cpu / Cpu;
        string ratio = reference is { } r ? Invariant($"  [{Cpu / r.Cpu:N1}x the read's CPU]") : "";
        Console.WriteLine(Invariant(
            $"   {what,-62} {readings / Client.Wall.TotalSeconds,12:N0} readings/s wall {readings / Cpu.TotalSeconds,12:N0} per CPU-s (bench + server) {Cpu.TotalNanoseconds / readings,7:N0} ns CPU/reading{ratio}"));
        Console.WriteLine(Invariant(
            $"       bench {Client.Cpu.TotalSeconds:N2} s CPU ({share:P0}, {readings / Client.Cpu.TotalSeconds:N0} per CPU-s, {Client.Cpu.TotalNanoseconds / readings:N0} ns/reading, {(double)Client.Allocated / readings:N1} B alloc/reading, GC {Client.Gen0}/{Client.Gen1}/{Client.Gen2}), server {Server.TotalSeconds:N2} s ({1 - share:P0}, {readings / Server.TotalSeconds:N0} per CPU-s, {Server.TotalNanoseconds / readings:N0} ns/reading; user {ServerTimes.User.TotalSeconds:N2} s, system {ServerTimes.System.TotalSeconds:N2} s); wall {Client.Wall.TotalSeconds:N2} s"));
        Console.WriteLine(Invariant(
            $"       {Flushes:N0} flushes, {Client.Wall.TotalMilliseconds / Flushes:N1} ms wall per flush; server: {Events.InsertQueries:N0} inserts, {Events.InsertedRows:N0} rows, {Events.InsertedBytes / 1e6:N0} MB as stored uncompressed; afterwards until idle {ServerAfter.TotalSeconds:N2} s CPU ({Events.MergedRows:N0} rows merged; with it {readings / (Cpu + ServerAfter).TotalSeconds:N0} per CPU-s)"));
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

/// <summary>A process's CPU time in user space and in the kernel (for ClickHouse: mostly making and removing the files of parts).</summary>
internal readonly record struct ServerTimes(TimeSpan User, TimeSpan System)
{
    public TimeSpan Total => User + System;

    public static ServerTimes operator -(ServerTimes a, ServerTimes b) => new(a.User - b.User, a.System - b.System);
}

/// <summary>Counters of the server's <c>system.events</c> (since it started), to tell what a measurement made it do.</summary>
internal readonly record struct ServerEvents(long InsertQueries, long InsertedRows, long InsertedBytes, long MergedRows)
{
    public static ServerEvents Read(ClickHouseConnection connection)
    {
        var values = new Dictionary<string, long>(StringComparer.Ordinal);
        connection.Select("SELECT event, value FROM system.events WHERE event IN ('InsertQuery', 'InsertedRows', 'InsertedBytes', 'MergedRows')",
            r => values[r.String(0)] = r.Int64(1));
        long Get(string name) => values.TryGetValue(name, out long value) ? value : 0;
        return new ServerEvents(Get("InsertQuery"), Get("InsertedRows"), Get("InsertedBytes"), Get("MergedRows"));
    }

    public static ServerEvents operator -(ServerEvents a, ServerEvents b) =>
        new(a.InsertQueries - b.InsertQueries, a.InsertedRows - b.InsertedRows, a.InsertedBytes - b.InsertedBytes, a.MergedRows - b.MergedRows);
}

/// <summary>
/// The CPU time (user + system, all threads) of the ClickHouse server this process started, from
/// /proc/&lt;pid&gt;/stat: the one child process of this one whose command is clickhouse's.
/// </summary>
internal sealed class ServerCpu
{
    // /proc reports times in USER_HZ, 100 per second on Linux whatever the kernel's own tick.
    private const double TicksPerSecond = 100;
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan IdleWithin = TimeSpan.FromSeconds(60);

    private ServerCpu(int processId) => ProcessId = processId;

    public int ProcessId { get; }

    public static ServerCpu Find()
    {
        var servers = new List<int>();
        foreach (string folder in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(folder), CultureInfo.InvariantCulture, out int pid) || Stat(pid) is not { } stat)
            {
                continue;
            }

            // "pid (comm) state ppid ...": the command may hold spaces and parentheses, so count from the last ')'.
            string comm = stat[(stat.IndexOf('(') + 1)..stat.LastIndexOf(')')];
            string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            if (comm.StartsWith("clickhouse", StringComparison.Ordinal) && fields[1] == Environment.ProcessId.ToString(CultureInfo.InvariantCulture))
            {
                servers.Add(pid);
            }
        }

        return servers.Count == 1
            ? new ServerCpu(servers[0])
            : throw new InvalidOperationException($"expected one clickhouse child process of this process, found {servers.Count}");
    }

    /// <summary>utime and stime of the server process (fields 14 and 15), summed over its threads by the kernel.</summary>
    public ServerTimes Read()
    {
        string stat = Stat(ProcessId) ?? throw new InvalidOperationException($"the ClickHouse server (process {ProcessId}) has gone");
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return new ServerTimes(
            TimeSpan.FromSeconds(long.Parse(fields[11], CultureInfo.InvariantCulture) / TicksPerSecond),
            TimeSpan.FromSeconds(long.Parse(fields[12], CultureInfo.InvariantCulture) / TicksPerSecond));
    }

    /// <summary>The server's share of a core over 3 s of doing nothing: what it costs alone.</summary>
    public double IdleShare()
    {
        var start = Read();
        long started = Stopwatch.GetTimestamp();
        Thread.Sleep(TimeSpan.FromSeconds(3));
        return (Read() - start).Total / Stopwatch.GetElapsedTime(started);
    }

    /// <summary>
    /// Waits until no merge runs and the server used under 5 % of a core over the last 500 ms (at
    /// most a minute); its CPU times then.
    /// </summary>
    public ServerTimes WaitUntilIdle(ClickHouseConnection connection)
    {
        var waited = Stopwatch.StartNew();
        var last = Read();
        while (true)
        {
            Thread.Sleep(Poll);
            long merges = 0;
            connection.Select("SELECT count() FROM system.merges", r => merges = r.Int64(0));
            var now = Read();
            if ((merges == 0 && (now - last).Total < Poll * 0.05) || waited.Elapsed > IdleWithin)
            {
                return now;
            }

            last = now;
        }
    }

    private static string? Stat(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
