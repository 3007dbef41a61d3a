using System.Globalization;
using System.IO.Compression;
using Convoy.Contracts.Telemetry.V1;
using Convoy.EdgeAgent.Buffering;
using Convoy.EdgeAgent.Simulation;
using Google.Protobuf;
using Grpc.Net.Compression;

namespace Convoy.EdgeAgent.Aggregation;

/// <summary>What one configuration made of the simulated fleet's readings.</summary>
internal sealed record ReductionFigures(string Configuration, long ReadingsIn, long ReadingsOut, long Batches, long EncodedBytes, long WireBytes, long DiskBytes, long ExcursionBatches)
{
    public double Ratio => ReadingsOut == 0 ? 0 : (double)ReadingsIn / ReadingsOut;

    /// <summary>Bytes on the wire (gzip-compressed message plus gRPC's 5-byte frame prefix) per reading sent.</summary>
    public double WireBytesPerReadingSent => ReadingsOut == 0 ? 0 : (double)WireBytes / ReadingsOut;

    /// <summary>Bytes on the wire per reading the sensors took: what a reading costs in mobile data.</summary>
    public double WireBytesPerReadingTaken => ReadingsIn == 0 ? 0 : (double)WireBytes / ReadingsIn;
}

/// <summary>
/// <c>Convoy.EdgeAgent report-reduction [--hours N] [--trucks N] [--seed N]</c>: runs the simulated
/// fleet (with its events, one reefer failing) for N simulated hours through the raw and the
/// aggregated configurations and prints readings in and out, the reduction ratio and bytes per
/// reading on the wire after gRPC's gzip compression (each batch compressed as one gRPC message,
/// with grpc-dotnet's own gzip provider at its default level, Fastest), and on disk.
/// </summary>
internal static class ReductionReport
{
    /// <summary>The simulator's settings for the report: believable event rates, one failing compressor.</summary>
    public static SimulatorOptions Fleet(int trucks, int seed)
    {
        var options = new SimulatorOptions { Trucks = trucks, Seed = seed, ReeferFailures = 1, ReeferFailureAfter = TimeSpan.FromHours(2), ReeferRepairAfter = TimeSpan.FromHours(1) };
        options.Events.DoorOpeningsPerHour = 1;
        options.Events.FuelTheftsPerHour = 0.05;
        options.Events.SpeedingPerHour = 0.5;
        options.Events.GpsLossesPerHour = 0.5;
        return options;
    }

    /// <summary>
    /// The aggregated configuration docs/configuration/edge-agent.md recommends for a reefer truck:
    /// GPS by distance (100 m),
    /// turn (15°) and time (60 s), every speeding fix (over 90 km/h) raw; temperatures by a 0.5 °C
    /// dead band with a 5-minute heartbeat, raw from 2 min before to 5 min after the chilled zone
    /// leaves 0..8 °C or the frozen one rises above -15 °C; fuel by a 1 % dead band (a theft's drop is
    /// 15 % or more), a 10-minute heartbeat.
    /// </summary>
    public static AggregationOptions Recommended(AggregationMode temperatureMode = AggregationMode.DeadBand)
    {
        var options = new AggregationOptions();
        options.Gps.Mode = AggregationMode.DeadBand;
        options.Gps.SpeedingAboveKmh = 90;
        options.Temperature.Mode = temperatureMode;
        options.Temperature.ExcursionBelow = 0;
        options.Temperature.ExcursionAbove = 8;
        options.TemperatureZones["2"] = new SensorAggregationOptions { Mode = temperatureMode, ExcursionAbove = -15 };
        options.Fuel.Mode = AggregationMode.DeadBand;
        options.Fuel.DeadBand = 1;
        options.Fuel.MaxInterval = TimeSpan.FromMinutes(10);
        return ValidatedOptions.Check(new AggregationOptionsValidator(), options);
    }

    public static int Run(string[] args, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        int hours = 24, trucks = 10, seed = 1;
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            bool ok = args[i] switch
            {
                "--hours" => int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out hours) && hours is >= 1 and <= 24 * 30,
                "--trucks" => int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out trucks) && trucks is >= 1 and <= 1000,
                "--seed" => int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out seed),
                _ => false,
            };
            if (!ok)
            {
                output.WriteLine("usage: Convoy.EdgeAgent report-reduction [--hours 1..720] [--trucks 1..1000] [--seed N]");
                return 2;
            }
        }

        if (args.Length % 2 != 0)
        {
            output.WriteLine("usage: Convoy.EdgeAgent report-reduction [--hours 1..720] [--trucks 1..1000] [--seed N]");
            return 2;
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Simulated fleet: {trucks} truck(s) x {hours} h, 1 Hz GPS + 2 reefer zones + fuel, seed {seed}; events on, truck-001's compressor fails after 2 h for 1 h."));
        output.WriteLine("configuration        batch  readings in  readings out  ratio   batches  B/reading sent (wire)  B/reading taken (wire)  B/reading taken (disk)");
        foreach (int spanS in (int[])[10, 60])
        {
            foreach (var (name, aggregation) in new[]
            {
                ("raw", new AggregationOptions()),
                ("aggregated", Recommended()),
                ("aggregated, window", Recommended(AggregationMode.Window)),
            })
            {
                var fleet = Fleet(trucks, seed);
                fleet.BatchSpan = TimeSpan.FromSeconds(spanS);
                var figures = Measure(name, fleet, aggregation, TimeSpan.FromHours(hours));
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{figures.Configuration,-20} {spanS,3} s  {figures.ReadingsIn,11:N0}  {figures.ReadingsOut,12:N0}  {figures.Ratio,5:F1}  {figures.Batches,8:N0}  {figures.WireBytesPerReadingSent,21:F2}  {figures.WireBytesPerReadingTaken,22:F3}  {(double)figures.DiskBytes / figures.ReadingsIn,22:F3}"));
            }
        }

        return 0;
    }

    /// <summary>Runs the fleet for <paramref name="duration"/> through <paramref name="aggregation"/> and measures what comes out.</summary>
    public static ReductionFigures Measure(string name, SimulatorOptions fleet, AggregationOptions aggregation, TimeSpan duration)
    {
        ArgumentNullException.ThrowIfNull(fleet);
        const long Start = 1_700_000_000_000;
        long spanMs = (long)fleet.BatchSpan.TotalMilliseconds, stepMs = (long)fleet.SampleInterval.TotalMilliseconds;
        var gzip = new GzipCompressionProvider(CompressionLevel.Fastest);
        using var compressed = new MemoryStream();
        long readingsIn = 0, readingsOut = 0, batches = 0, encoded = 0, wire = 0, disk = 0, excursions = 0;
        for (int t = 0; t < fleet.Trucks; t++)
        {
            string device = fleet.DevicePrefix + "-" + (t + 1).ToString("D3", CultureInfo.InvariantCulture);
            var truck = new Truck(device, t, fleet, Start);
            var aggregator = new BatchAggregator(aggregation);
            ulong sequence = 0;
            void Count(ReducedBatch reduced)
            {
                if (reduced.Batch is null)
                {
                    return;
                }

                reduced.Batch.Sequence = ++sequence;
                byte[] bytes = reduced.Batch.ToByteArray();
                compressed.SetLength(0);
                using (var stream = gzip.CreateCompressionStream(compressed, null))
                {
                    stream.Write(bytes);
                }

                readingsOut += reduced.Readings;
                batches++;
                encoded += bytes.Length;
                wire += compressed.Length + 5;
                disk += bytes.Length + SegmentFile.HeaderBytes;
                excursions += reduced.Excursion ? 1 : 0;
            }

            for (long at = Start; at < Start + (long)duration.TotalMilliseconds; at += spanMs)
            {
                var batch = new TelemetryBatch();
                readingsIn += truck.Fill(batch, at, spanMs, stepMs);
                Count(aggregator.Reduce(batch));
            }

            Count(aggregator.Flush(device));
        }

        return new ReductionFigures(name, readingsIn, readingsOut, batches, encoded, wire, disk, excursions);
    }
}
