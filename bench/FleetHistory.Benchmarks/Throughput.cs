using System.Globalization;
using Convoy.Contracts.Telemetry;
using Convoy.FleetHistory.Store.DuckDb;
using DuckDB.NET.Data;

namespace Convoy.FleetHistory.Benchmarks;

/// <summary>
/// Target 1: projection throughput per core into DuckDB. The same records, in the order a
/// projector reads them, go through (a) a read of every value (the floor for any fold), (b) the
/// fold alone, (c) fold + store write at each flush size, and (d) the fixes alone appended to a bare
/// positions table (the floor for any store write). Single-threaded; "per core" is readings per
/// second of the process's CPU time, DuckDB's own threads included.
/// </summary>
internal static class Throughput
{
    public static void Run(Settings settings)
    {
        var duration = TimeSpan.FromMinutes(settings.ThroughputMinutes);
        Console.WriteLine($"== Projection throughput: {settings.ThroughputTrucks:N0} trucks x {duration.TotalMinutes:N0} min of 10-s batches, flushes of {string.Join(", ", settings.FlushSizes)} records, {settings.Repeat} run(s)");
        var records = FleetData.Generate(settings.ThroughputTrucks, duration, settings.Scalars).ToList();
        long readings = records.Sum(r => (long)r.Readings);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"   {records.Count:N0} batches, {readings:N0} readings ({(double)readings / records.Count:N0} per batch, {records.Average(r => r.Payload.Length):N0} B encoded); {Machine.Load()}"));

        // JIT (to the optimised tier: every measured loop once in full) and DuckDB's first open, outside every measurement.
        ReadEverything(records);
        var folding = new ProjectorFeed("warm", null, settings.FlushSizes[0]);
        foreach (var record in records)
        {
            folding.Add(record);
        }

        using (var warm = new ScratchFolder())
        {
            using var store = new DuckDbFleetStore(warm.Path);
            var feed = new ProjectorFeed("warm", store, 500);
            foreach (var record in records.Take(3_000))
            {
                feed.Add(record);
            }

            feed.Flush();
            AppendPositions(warm.Path, records.Take(3_000), 500);
        }

        for (int run = 1; run <= settings.Repeat; run++)
        {
            Console.WriteLine($"-- run {run} ({Machine.Load()})");
            double sum = 0;
            var read = Cost.Of(() => sum = ReadEverything(records));
            Print("read every value (reference)", read, readings);
            var fold = Cost.Of(() =>
            {
                var feed = new ProjectorFeed("bench", null, settings.FlushSizes[0]);
                foreach (var record in records)
                {
                    feed.Add(record);
                }

                feed.Flush();
            });
            Print($"fold only ({settings.FlushSizes[0]} per flush)", fold, readings);
            foreach (int flush in settings.FlushSizes)
            {
                using var folder = new ScratchFolder();
                using var store = new DuckDbFleetStore(folder.Path);
                store.Write(new Store.TenantChanges("bench")); // creates the file and its tables outside the measurement
                int flushes = 0;
                var written = Cost.Of(() =>
                {
                    var feed = new ProjectorFeed("bench", store, flush);
                    foreach (var record in records)
                    {
                        feed.Add(record);
                    }

                    feed.Flush();
                    flushes = feed.Flushes;
                });
                Print($"fold + DuckDB write, {flush} records/flush", written, readings, read);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"       {flushes:N0} flushes, {written.Wall.TotalMilliseconds / flushes:N1} ms wall per flush"));
            }

            Live(records);
            using (var folder = new ScratchFolder())
            {
                var append = Cost.Of(() => AppendPositions(folder.Path, records, settings.FlushSizes[0]));
                Print($"read + append the fixes alone (reference), {settings.FlushSizes[0]} per flush", append, readings);
            }

            GC.KeepAlive(sum);
        }
    }

    /// <summary>
    /// Keeping up rather than catching up: the projector flushes every 250 ms, so 1,000 trucks
    /// sending a batch per 10 s make flushes of 25 records. What such a flush costs, and the share
    /// of a core that keeping up with the fleet takes.
    /// </summary>
    private static void Live(List<FleetRecord> records)
    {
        const int PerFlush = 25, Flushes = 200;
        var sample = records.Take(PerFlush * Flushes).ToList();
        long readings = sample.Sum(r => (long)r.Readings);
        using var folder = new ScratchFolder();
        using var store = new DuckDbFleetStore(folder.Path);
        store.Write(new Store.TenantChanges("bench"));
        var cost = Cost.Of(() =>
        {
            var feed = new ProjectorFeed("bench", store, PerFlush);
            foreach (var record in sample)
            {
                feed.Add(record);
            }

            feed.Flush();
        });
        Print($"live: flushes of {PerFlush} records (1,000 trucks, 250 ms)", cost, readings);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"       {cost.Wall.TotalMilliseconds / Flushes:N1} ms wall, {cost.Cpu.TotalMilliseconds / Flushes:N1} ms CPU per flush: keeping up with 1,000 trucks takes {cost.Cpu.TotalMilliseconds / Flushes * 4 / 1000:P0} of a core"));
    }

    public static void Print(string what, Cost cost, long readings, Cost? reference = null) =>
        Console.WriteLine($"   {what,-62} {cost.Describe(readings)}{(reference is { } r ? string.Create(CultureInfo.InvariantCulture, $"  [{cost.Cpu / r.Cpu:N1}x the read's CPU]") : "")}");

    /// <summary>Reads every value of every column in place: what any fold must at least do.</summary>
    public static double ReadEverything(List<FleetRecord> records)
    {
        double sum = 0;
        foreach (var record in records)
        {
            if (!BatchView.TryRead(record.Payload, out var batch, out _))
            {
                throw new InvalidOperationException("unreadable batch");
            }

            if (batch.HasGps)
            {
                var gps = batch.Gps;
                for (int i = 0; i < gps.OffsetMs.Length; i++)
                {
                    sum += gps.OffsetMs[i] + gps.LatitudeDeg[i] + gps.LongitudeDeg[i] + gps.SpeedKmh[i] + gps.HeadingDeg[i];
                }
            }

            foreach (var zone in batch.Temperatures)
            {
                for (int i = 0; i < zone.OffsetMs.Length; i++)
                {
                    sum += zone.OffsetMs[i] + zone.TemperatureC[i];
                }
            }

            if (batch.HasFuel)
            {
                for (int i = 0; i < batch.Fuel.OffsetMs.Length; i++)
                {
                    sum += batch.Fuel.OffsetMs[i] + batch.Fuel.LevelPercent[i];
                }
            }

            foreach (var scalar in batch.Scalars)
            {
                for (int i = 0; i < scalar.OffsetMs.Length; i++)
                {
                    sum += scalar.OffsetMs[i] + scalar.Value[i];
                }
            }
        }

        return sum;
    }

    /// <summary>The GPS fixes alone, appended as they are read to a positions table of the store's schema, a transaction per flush.</summary>
    private static void AppendPositions(string folder, IEnumerable<FleetRecord> records, int flushRecords)
    {
        using var connection = new DuckDBConnection($"Data Source={Path.Combine(folder, "reference.duckdb")}");
        connection.Open();
        using (var create = connection.CreateCommand())
        {
            create.CommandText = DuckDbSchema.Create;
            create.ExecuteNonQuery();
        }

        using var chunk = records.Chunk(flushRecords).GetEnumerator();
        while (chunk.MoveNext())
        {
            using var transaction = connection.BeginTransaction();
            using (var appender = connection.CreateAppender("positions"))
            {
                foreach (var record in chunk.Current)
                {
                    if (!BatchView.TryRead(record.Payload, out var batch, out _) || !batch.HasGps)
                    {
                        continue;
                    }

                    var gps = batch.Gps;
                    for (int i = 0; i < gps.OffsetMs.Length; i++)
                    {
                        appender.CreateRow().AppendValue(record.Device).AppendValue(batch.BaseTimeUnixMs + gps.OffsetMs[i]).AppendValue(gps.LatitudeDeg[i])
                            .AppendValue(gps.LongitudeDeg[i]).AppendValue(gps.SpeedKmh[i]).AppendValue(gps.HeadingDeg[i]).EndRow();
                    }
                }
            }

            transaction.Commit();
        }
    }
}

/// <summary>A new folder under the temporary folder, deleted on dispose.</summary>
internal sealed class ScratchFolder : IDisposable
{
    public ScratchFolder()
    {
        Path = System.IO.Path.Combine(Environment.GetEnvironmentVariable("FLEET_BENCH_DIR") ?? System.IO.Path.GetTempPath(), $"convoy-fleet-bench-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
