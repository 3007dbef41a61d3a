using System.Globalization;
using Convoy.FleetHistory.Store;
using Convoy.FleetHistory.Store.DuckDb;
using DuckDB.NET.Data;

namespace Convoy.FleetHistory.Benchmarks;

/// <summary>
/// Target 3: stored bytes per reading. Writes <see cref="Settings.StorageHours"/> of a fleet
/// through the store, a flush per 10-second span (one batch of every truck, the row layout a live
/// projector makes), checkpoints, and divides the file by every reading projected (GPS fixes,
/// temperatures, fuel, scalars), after the store's hourly pass has sorted the closed day's fixes
/// into its track table (the track query is timed before and after that pass). Then measures each
/// table and each track column by copying them, in insertion order, into files of their own.
/// </summary>
internal static class Storage
{
    public static void Run(Settings settings)
    {
        int trucks = settings.StorageTrucks;
        var duration = TimeSpan.FromHours(settings.StorageHours);
        int flushRecords = trucks * settings.StorageFlushSpans;
        Console.WriteLine($"== Stored bytes: {trucks:N0} trucks x {duration.TotalHours:N0} h, a flush per {settings.StorageFlushSpans * 10} s of fleet time ({flushRecords} records)");
        using var folder = new ScratchFolder();
        string file = Path.Combine(folder.Path, Queries.Tenant + ".duckdb");
        long readings = 0, batches = 0;
        var build = Cost.Of(() =>
        {
            using var store = new DuckDbFleetStore(folder.Path);
            var feed = new ProjectorFeed(Queries.Tenant, store, flushRecords);
            foreach (var record in FleetData.Generate(trucks, duration, settings.Scalars))
            {
                feed.Add(record);
                batches++;
            }

            feed.Flush();
            readings = feed.Readings;
        });
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"   {batches:N0} batches, {readings:N0} readings through the store's write path in {build.Wall.TotalSeconds:N1} s ({build.PerSecond(readings):N0} readings/s wall, {build.PerCpuSecond(readings):N0} per CPU-s, generating the batches included); {Machine.Load()}"));

        long fixesPerDevice = (long)(duration.TotalMilliseconds / FleetData.SampleMs);
        if (settings.Track)
        {
            using var store = new DuckDbFleetStore(folder.Path);
            Queries.Track(settings, store, trucks, fixesPerDevice, "as a live projector appends them (every truck's fixes interleaved)");
        }

        // The store's hourly pass, once the period is over: the fixes sorted by (device, time) into the track table.
        TrackCompaction compaction = default;
        long closedAt = FleetData.StartMs + (long)duration.TotalMilliseconds + (long)TimeSpan.FromDays(1).TotalMilliseconds;
        var compacting = Cost.Of(() =>
        {
            using var store = new DuckDbFleetStore(folder.Path);
            compaction = store.CompactTrack(Queries.Tenant, closedAt);
        });
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"   compaction: {compaction.Moved:N0} fixes moved, {compaction.Settled:N0} sorted again, in {compacting.Wall.TotalSeconds:N1} s ({compacting.Cpu.TotalSeconds:N1} CPU-s); {Machine.Load()}"));
        if (settings.Track)
        {
            using var store = new DuckDbFleetStore(folder.Path);
            Queries.Track(settings, store, trucks, fixesPerDevice, "after the hourly pass (sorted by device and time)");
        }

        using var connection = new DuckDBConnection($"Data Source={file}");
        connection.Open();
        Execute(connection, "CHECKPOINT");
        var size = Rows(connection, "SELECT block_size, total_blocks, used_blocks, free_blocks, wal_size FROM pragma_database_size() WHERE database_name = current_database()")[0];
        long fileBytes = new FileInfo(file).Length;
        long usedBytes = Convert.ToInt64(size[0], CultureInfo.InvariantCulture) * Convert.ToInt64(size[2], CultureInfo.InvariantCulture);
        long fixes = Scalar(connection, "SELECT (SELECT count(*) FROM positions) + (SELECT count(*) FROM track)");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"   after CHECKPOINT: file {fileBytes:N0} B = {(double)fileBytes / readings:N3} B/reading; used blocks {usedBytes:N0} B = {(double)usedBytes / readings:N3} B/reading ({size[2]} used, {size[3]} free of {size[1]} blocks, WAL {size[4]}); {Machine.Load()}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"   {fixes:N0} fixes = {(double)fixes / readings:P1} of the readings"));

        string scratch = Path.Combine(folder.Path, "copies");
        Directory.CreateDirectory(scratch);
        long empty = CopySize(connection, scratch, "CREATE TABLE x.t(a INTEGER)");
        long Copy(string sql) => CopySize(connection, scratch, sql) - empty;

        Console.WriteLine("   per table (a copy in insertion order, without its primary key; the key's index separately):");
        long tables = 0;
        foreach (string table in new[] { "positions", "track", "rollups_minute", "rollups_hour", "devices", "zone_temperatures", "sequences", "offsets", "alerts" })
        {
            long rows = Scalar(connection, $"SELECT count(*) FROM {table}");
            long bytes = Copy($"CREATE TABLE x.t AS SELECT * FROM main.{table}");
            tables += bytes;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"     {table,-18} {rows,13:N0} rows {bytes,15:N0} B {(double)bytes / readings,8:N3} B/reading {(rows > 0 ? (double)bytes / rows : 0),8:N2} B/row"));
        }

        foreach (string table in new[] { "rollups_minute", "rollups_hour" })
        {
            string ddl = Scalar<string>(connection, $"SELECT sql FROM duckdb_tables() WHERE table_name = '{table}'").Replace($"CREATE TABLE {table}", "CREATE TABLE x.t", StringComparison.Ordinal);
            long keyed = CopySize(connection, scratch, ddl + $"; INSERT INTO x.t SELECT * FROM main.{table}") - empty;
            long plain = Copy($"CREATE TABLE x.t AS SELECT * FROM main.{table}");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"     {table + " PRIMARY KEY index",-32} {keyed - plain,15:N0} B {(double)(keyed - plain) / readings,8:N3} B/reading"));
            tables += keyed - plain;
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"     sum of the parts {tables:N0} B = {(double)tables / readings:N3} B/reading; the rest of the file is headers, free blocks and the smaller tables' keys"));

        Console.WriteLine("   track, per column (bytes per fix; DuckDB's compression of its segments):");
        var compression = Rows(connection, "SELECT column_name, string_agg(DISTINCT compression, '/') FROM pragma_storage_info('track') WHERE segment_type <> 'VALIDITY' GROUP BY column_name")
            .ToDictionary(r => (string)r[0], r => (string)r[1]);
        foreach (string column in new[] { "device", "time_ms", "latitude_e7", "longitude_e7", "speed_dkmh", "heading_ddeg" })
        {
            long bytes = Copy($"CREATE TABLE x.t AS SELECT {column} FROM main.track");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"     {column,-14} {bytes,13:N0} B {(double)bytes / fixes,7:N2} B/fix  {compression.GetValueOrDefault(column, "?")}"));
        }
    }

    /// <summary>The size of a new database file after <paramref name="sql"/> (which fills table x.t) and its detach.</summary>
    private static long CopySize(DuckDBConnection connection, string folder, string sql)
    {
        string path = Path.Combine(folder, $"{Guid.NewGuid():N}.duckdb");
        Execute(connection, $"ATTACH '{path}' AS x");
        try
        {
            Execute(connection, "SET preserve_insertion_order = true; " + sql);
            Execute(connection, "CHECKPOINT x");
        }
        finally
        {
            Execute(connection, "DETACH x");
        }

        long bytes = new FileInfo(path).Length;
        File.Delete(path);
        return bytes;
    }

    private static void Execute(DuckDBConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static long Scalar(DuckDBConnection connection, string sql) => Convert.ToInt64(Scalar<object>(connection, sql), CultureInfo.InvariantCulture);

    private static T Scalar<T>(DuckDBConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (T)command.ExecuteScalar()!;
    }

    private static List<object[]> Rows(DuckDBConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var rows = new List<object[]>();
        while (reader.Read())
        {
            var row = new object[reader.FieldCount];
            reader.GetValues(row);
            rows.Add(row);
        }

        return rows;
    }
}
