using System.Globalization;
using BenchmarkDotNet.Running;
using Convoy.FleetHistory.Benchmarks;

const string Help = """
    Convoy fleet history (read side) benchmarks: the targets of issue 14, section 7, on batches of
    the demo's simulated trucks (GPS at 1 Hz, two reefer zones and fuel, a batch per 10 s).

    Usage: dotnet run -c Release --project bench/FleetHistory.Benchmarks -- [what ...] [options]
      what: throughput   fold + store write, single-threaded, readings/s and CPU per reading
            fleet-state  fleet state of 10,000 devices, p50/p99
            storage      stored bytes per reading after a day of a fleet, then a day's track p50/p99
            freshness    from the collector's ack of a batch to the read side's live watch carrying it, p50/p99
                         (the real collector, embedded Kafka and read side; FleetHistory:FlushMilliseconds 200)
            (the first three unless told)
      --quick              small sizes, about a minute: 1,000 trucks x 3 min, 1 run, 50 queries, 4 trucks x 24 h flushed every 5 min
      --store S            the store throughput writes to: duckdb, or clickhouse (a private clickhouse-server
                           on loopback, a database per tenant, its data under TMPDIR; CPU per reading counts
                           the server's too) (duckdb)
      --trucks N           trucks for throughput (1000)
      --minutes N          minutes of batches for throughput (30)
      --flush N[,N...]     records per flush (the projector's FlushRecords), first one also for fold only (5000,1000,20000)
      --repeat N           runs of each measurement (3)
      --queries N          queries per measurement (200)
      --fleet N            devices in the fleet state (10000)
      --storage-trucks N   trucks written for the stored bytes and the track (100)
      --hours N            hours written for the stored bytes and the track (24)
      --storage-flush N    10-s spans of fleet time per flush there (1: one batch per truck, as a live projector's rows; --quick 30)
      --scalars N          scalar sensors per batch besides the demo's (0..5; 0)
      --no-track           stored bytes only
    FLEET_BENCH_DIR=folder puts the scratch databases there instead of the temporary folder.

    Microbenchmarks of the fold (BenchmarkDotNet, allocations per batch):
      dotnet run -c Release --project bench/FleetHistory.Benchmarks -- bdn --filter '*' --job short
    """;

if (args.Length > 0 && args[0] == "bdn")
{
    BenchmarkSwitcher.FromAssembly(typeof(FoldBenchmarks).Assembly).Run(args[1..]);
    return 0;
}

var settings = new Settings();
var what = new List<string>();
for (int i = 0; i < args.Length; i++)
{
    string arg = args[i];
    if (arg is "--help" or "-h")
    {
        Console.WriteLine(Help);
        return 0;
    }

    if (arg is "throughput" or "fleet-state" or "storage" or "freshness")
    {
        what.Add(arg);
        continue;
    }

    if (arg == "--quick")
    {
        settings = settings with { ThroughputMinutes = 3, FlushSizes = [5_000], Repeat = 1, Queries = 50, StorageTrucks = 4, StorageFlushSpans = 30 };
        continue;
    }

    if (arg == "--no-track")
    {
        settings = settings with { Track = false };
        continue;
    }

    string value = i + 1 < args.Length ? args[++i] : "";
    int n = int.TryParse(value, CultureInfo.InvariantCulture, out int parsed) ? parsed : -1;
    Settings? next = arg switch
    {
        "--store" when value is "duckdb" or "clickhouse" => settings with { Store = value },
        "--trucks" when n > 0 => settings with { ThroughputTrucks = n },
        "--minutes" when n > 0 => settings with { ThroughputMinutes = n },
        "--flush" when ParseList(value) is { } sizes => settings with { FlushSizes = sizes },
        "--repeat" when n > 0 => settings with { Repeat = n },
        "--queries" when n > 0 => settings with { Queries = n },
        "--fleet" when n > 0 => settings with { FleetStateDevices = n },
        "--storage-trucks" when n > 0 => settings with { StorageTrucks = n },
        "--hours" when n > 0 => settings with { StorageHours = n },
        "--storage-flush" when n > 0 => settings with { StorageFlushSpans = n },
        "--scalars" when n is >= 0 and <= 5 => settings with { Scalars = n },
        _ => null,
    };
    if (next is null)
    {
        Console.Error.WriteLine($"'{arg} {value}' is not understood; see --help");
        return 2;
    }

    settings = next;
}

if (what.Count == 0)
{
    what.AddRange(["throughput", "fleet-state", "storage"]);
}

Console.WriteLine($"Convoy fleet history benchmarks, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, .NET {Environment.Version}, {Machine.Load()}");
Console.WriteLine($"   {settings}");
if (what.Contains("throughput"))
{
    if (settings.Store == "clickhouse")
    {
        if (!await ClickHouseThroughput.RunAsync(settings))
        {
            return 2;
        }
    }
    else
    {
        Throughput.Run(settings);
    }
}

if (what.Contains("fleet-state"))
{
    Queries.FleetState(settings);
}

if (what.Contains("storage"))
{
    Storage.Run(settings);
}

if (what.Contains("freshness"))
{
    await Freshness.RunAsync(settings);
}

Console.WriteLine($"done; {Machine.Load()}");
return 0;

static int[]? ParseList(string value)
{
    var parts = value.Split(',');
    var sizes = new int[parts.Length];
    for (int i = 0; i < parts.Length; i++)
    {
        if (!int.TryParse(parts[i], CultureInfo.InvariantCulture, out sizes[i]) || sizes[i] <= 0)
        {
            return null;
        }
    }

    return sizes;
}

namespace Convoy.FleetHistory.Benchmarks
{
    /// <summary>The sizes of one run; the defaults are the full measurement.</summary>
    internal sealed record Settings
    {
        public string Store { get; init; } = "duckdb";
        public int ThroughputTrucks { get; init; } = 1_000;
        public int ThroughputMinutes { get; init; } = 30;
        public int[] FlushSizes { get; init; } = [5_000, 1_000, 20_000];
        public int Repeat { get; init; } = 3;
        public int Queries { get; init; } = 200;
        public int FleetStateDevices { get; init; } = 10_000;
        public int StorageTrucks { get; init; } = 100;
        public int StorageHours { get; init; } = 24;
        public int StorageFlushSpans { get; init; } = 1;
        public int Scalars { get; init; }
        public bool Track { get; init; } = true;

        public override string ToString() => string.Create(CultureInfo.InvariantCulture,
            $"throughput into {Store} {ThroughputTrucks} trucks x {ThroughputMinutes} min, flushes of {string.Join("/", FlushSizes)}; {Repeat} run(s) of each; {Queries} queries; fleet state {FleetStateDevices}; stored bytes and track {StorageTrucks} trucks x {StorageHours} h, {StorageFlushSpans * 10} s per flush; {Scalars} extra scalars");
    }
}
