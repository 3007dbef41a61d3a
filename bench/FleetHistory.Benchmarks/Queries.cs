using System.Globalization;
using Convoy.Contracts.Alerts.V1;
using Convoy.FleetHistory.Store;
using Convoy.FleetHistory.Store.DuckDb;

namespace Convoy.FleetHistory.Benchmarks;

/// <summary>
/// Target 2: query p99 on DuckDB. The data goes in through the store's own write path
/// (<see cref="ProjectorFeed"/>); the queries are the store calls the query API makes. The
/// reference in the same run is <see cref="IFleetStore.HasDevice"/>, the smallest query through the
/// same path (a connection per read, as every query).
/// </summary>
internal static class Queries
{
    public const string Tenant = "bench";

    /// <summary>The fleet state of <see cref="Settings.FleetStateDevices"/> devices, as one page and as the API's default pages of 1,000.</summary>
    public static void FleetState(Settings settings)
    {
        int devices = settings.FleetStateDevices;
        Console.WriteLine($"== Fleet state: {devices:N0} trucks, 1 min of batches each, 1 % with a firing alert; {settings.Queries} queries each");
        using var folder = new ScratchFolder();
        using var store = new DuckDbFleetStore(folder.Path);
        var feed = new ProjectorFeed(Tenant, store, 5_000);
        var build = Cost.Of(() =>
        {
            foreach (var record in FleetData.Generate(devices, TimeSpan.FromMinutes(1)))
            {
                feed.Add(record);
            }

            feed.Flush();
            var alerts = new TenantChanges(Tenant);
            alerts.Offsets[new PartitionKey("alerts." + Tenant, 0)] = devices / 100;
            for (int i = 0; i < devices; i += 100)
            {
                alerts.AddAlert(new Alert
                {
                    AlertId = $"a-{i}", TenantId = Tenant, DeviceId = FleetData.Device(i), RuleId = "chilled-too-warm", Severity = Severity.Critical, State = AlertState.Firing,
                    StartTimeUnixMs = FleetData.StartMs + 30_000, TriggerValue = 8.5, TriggerUnit = "°C", Message = "zone 1 above 8 °C for 5 min",
                    LastPosition = new Contracts.Alerts.V1.Position { TimeUnixMs = FleetData.StartMs + 30_000, LatitudeDeg = 52.37, LongitudeDeg = 4.9, SpeedKmh = 0 },
                });
            }

            store.Write(alerts);
        });
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"   built through the store's write path: {feed.Readings:N0} readings in {build.Wall.TotalSeconds:N1} s; {Machine.Load()}"));

        var all = store.FleetState(Tenant, [], "", devices + 1);
        if (all.Count != devices || all.Count(d => d.FiringAlerts.Count > 0) != devices / 100 || all.Any(d => d.Temperatures.Count != 2))
        {
            throw new InvalidOperationException($"fleet state has {all.Count} devices, not {devices} each with two zones and 1 % firing");
        }

        for (int run = 1; run <= settings.Repeat; run++)
        {
            var reference = new Latencies();
            var page = new Latencies();
            var pages = new Latencies();
            Warm(() => store.FleetState(Tenant, [], "", devices + 1));
            Warm(() => store.HasDevice(Tenant, FleetData.Device(7)));
            // Interleaved, so the three see the same machine.
            for (int q = 0; q < settings.Queries; q++)
            {
                reference.Time(() => store.HasDevice(Tenant, FleetData.Device(q % devices)));
                page.Time(() => store.FleetState(Tenant, [], "", devices + 1));
                pages.Time(() => store.FleetState(Tenant, [], FleetData.Device((q * 1_000) % devices), 1_001));
            }

            Console.WriteLine($"-- run {run} ({Machine.Load()})");
            Console.WriteLine($"   fleet state, one page of {devices:N0} devices           {page.Describe()}  [p99 {Ratio(page, reference)} the reference's]");
            Console.WriteLine($"   fleet state, a page of 1,000 (the API's default)     {pages.Describe()}");
            Console.WriteLine($"   has-device (reference)                               {reference.Describe()}");
        }
    }

    /// <summary>A day's track of one device, at 1 fix/s, from a store holding the whole fleet's day (built by <see cref="Storage"/>).</summary>
    public static void Track(Settings settings, IFleetStore store, int trucks, long fixesPerDevice, string layout)
    {
        string device = FleetData.Device(0);
        long from = FleetData.StartMs, to = FleetData.StartMs + (long)TimeSpan.FromHours(settings.StorageHours).TotalMilliseconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"== Track: {settings.StorageHours} h of {device} among {trucks:N0} trucks ({trucks * fixesPerDevice:N0} fixes in the store), {layout}; {settings.Queries} queries each"));
        int points = store.Track(Tenant, device, from, to, long.MinValue, int.MaxValue).Count;
        if (points != fixesPerDevice)
        {
            throw new InvalidOperationException($"the track has {points} points, not {fixesPerDevice}");
        }

        for (int run = 1; run <= settings.Repeat; run++)
        {
            var reference = new Latencies();
            var whole = new Latencies();
            var page = new Latencies();
            var paged = new Latencies();
            Warm(() => store.Track(Tenant, device, from, to, long.MinValue, points + 1));
            Warm(() => store.HasDevice(Tenant, device));
            for (int q = 0; q < settings.Queries; q++)
            {
                reference.Time(() => store.HasDevice(Tenant, device));
                whole.Time(() => store.Track(Tenant, device, from, to, long.MinValue, points + 1));
                // As the API serves it: pages of 10,000 (its maximum), each asking for one more to know whether another follows.
                paged.Time(() =>
                {
                    long after = long.MinValue;
                    while (true)
                    {
                        IReadOnlyList<Contracts.Fleet.V1.TrackPoint> got = [];
                        page.Time(() => got = store.Track(Tenant, device, from, to, after, 10_001));
                        if (got.Count <= 10_000)
                        {
                            break;
                        }

                        after = got[9_999].TimeUnixMs;
                    }
                });
            }

            Console.WriteLine($"-- run {run} ({Machine.Load()})");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"   track, {points:N0} points in one call            {whole.Describe()}  [p99 {Ratio(whole, reference)} the reference's]"));
            Console.WriteLine($"   track, one page of 10,000 (the API's maximum)     {page.Describe()}");
            Console.WriteLine($"   track, the whole day in pages of 10,000           {paged.Describe()}");
            Console.WriteLine($"   has-device (reference)                            {reference.Describe()}");
        }
    }

    private static string Ratio(Latencies a, Latencies b) => string.Create(CultureInfo.InvariantCulture, $"{a.Percentile(99) / b.Percentile(99):N0}x");

    private static void Warm(Action query)
    {
        for (int i = 0; i < 5; i++)
        {
            query();
        }
    }
}
