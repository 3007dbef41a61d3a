using System.Diagnostics;
using System.Globalization;
using Confluent.Kafka;
using Convoy.AlertEngine.Load;
using Convoy.Contracts;
using Convoy.Kafka.Embedded;
using HdrHistogram;

const string Help = """
    Convoy alert engine load: runs the real alert engine (src/AlertEngine) in its own process
    against the embedded Kafka, with 20 rules per tenant (bench/AlertEngine.Load/rules-20.yaml),
    and feeds it encoded telemetry records with the collector's headers. First floods it to find
    its maximum rate, then runs at half of that and measures, for probe batches, the time from the
    batch's Kafka acknowledgement (what the collector acks a device on) to its alert being in
    alerts.<tenant>. Reports readings/s, readings per CPU-second of the engine, and where its CPU
    goes per thread.

    Usage: dotnet run -c Release --project bench/AlertEngine.Load -- [options]
      --tenants N          tenants, each with its own telemetry and alerts topic of 4 partitions (4)
      --devices N          trucks over the tenants, each batch 60 readings (1000)
      --probe-every N      one batch in N of each device fires the probe rule, the next resolves it (200)
      --flood-seconds N    seconds of flooding to find the maximum (10; the first 2 are not measured)
      --seconds N          seconds at half of the maximum (15)
      --rate N             skip the flood and run at N batches/s
      --engine-arg ARG     passed to the engine, e.g. --engine-arg --Kafka:ConsumerProperties:fetch.wait.max.ms=5 (repeatable)
    LOAD_TRACE=1 prints batches produced and committed by the engine every second.
    """;

int tenants = 4, devices = 1000, probeEvery = 200, floodSeconds = 10, seconds = 15;
double fixedRate = 0;
var engineArgs = new List<string>();
for (int i = 0; i < args.Length; i++)
{
    if (args[i] is "--help" or "-h")
    {
        Console.WriteLine(Help);
        return 0;
    }

    string value = i + 1 < args.Length ? args[++i] : "";
    bool ok = args[i - 1] switch
    {
        "--tenants" => int.TryParse(value, CultureInfo.InvariantCulture, out tenants) && tenants > 0,
        "--devices" => int.TryParse(value, CultureInfo.InvariantCulture, out devices) && devices > 0,
        "--probe-every" => int.TryParse(value, CultureInfo.InvariantCulture, out probeEvery) && probeEvery > 2,
        "--flood-seconds" => int.TryParse(value, CultureInfo.InvariantCulture, out floodSeconds) && floodSeconds > 2,
        "--seconds" => int.TryParse(value, CultureInfo.InvariantCulture, out seconds) && seconds > 0,
        "--rate" => double.TryParse(value, CultureInfo.InvariantCulture, out fixedRate) && fixedRate > 0,
        "--engine-arg" => Add(engineArgs, value),
        _ => false,
    };
    if (!ok)
    {
        Console.Error.WriteLine($"'{args[i - 1]} {value}' is not understood; see --help");
        return 2;
    }
}

const int Partitions = 4;
const string ProbeRule = "battery-low";
string repository = Convoy.TestKit.Repository.Root;

string rules = Directory.CreateTempSubdirectory("convoy-engine-load-").FullName;
for (int t = 0; t < tenants; t++)
{
    File.Copy(Path.Combine(AppContext.BaseDirectory, "rules-20.yaml"), Path.Combine(rules, $"fleet-{t}.yaml"));
}

using var kafka = EmbeddedKafkaCluster.Start();
kafka.SetGroupInitialRebalanceDelay(TimeSpan.Zero);
var telemetryPartitions = new List<TopicPartition>();
for (int t = 0; t < tenants; t++)
{
    kafka.CreateTopic(TelemetryRecordHeaders.TelemetryTopic($"fleet-{t}"), Partitions);
    kafka.CreateTopic(TelemetryRecordHeaders.AlertTopic($"fleet-{t}"), Partitions);
    for (int p = 0; p < Partitions; p++)
    {
        telemetryPartitions.Add(new TopicPartition(TelemetryRecordHeaders.TelemetryTopic($"fleet-{t}"), p));
    }
}

Console.WriteLine($"{devices} trucks over {tenants} tenants, {FleetTelemetry.ReadingsPerBatch} readings per batch, 20 rules per tenant, " +
    $"1 probe batch in {probeEvery} per truck (plus the one resolving it). Kafka: the embedded mock cluster in this process.");
string group = "convoy-engine-load-" + Guid.NewGuid().ToString("N")[..8];
// Commit stored offsets every 100 ms instead of 5 s, so the engine's progress can be read from its group.
engineArgs.Add("--Kafka:ConsumerProperties:auto.commit.interval.ms=100");
// The engine's compacted rule-state topic (AlertEngine:StateTopic's default), as an operator creates it.
kafka.CreateTopic("convoy.alert-state", Partitions);

// The topics exist (created above, as operators create them). The embedded broker does not answer
// CreateTopics; an engine that asks waits out the admin timeout for each tenant's alert topic.
engineArgs.Add("--Kafka:CreateTopics=false");
using var engine = EngineProcess.Start(repository, kafka.BootstrapServers, rules, group, engineArgs);
using var fleet = new FleetTelemetry(kafka.BootstrapServers, tenants, devices, probeEvery);
using var watch = new AlertWatch(kafka.BootstrapServers, tenants, Partitions, ProbeRule);
using var progress = new EngineProgress(kafka.BootstrapServers, group, telemetryPartitions);

// Warm-up: until the engine has joined, loaded its rules, been JIT-compiled, and answered probes.
Console.WriteLine("Warming up the engine (until its probe alerts arrive, and 5 s more) ...");
var warm = Stopwatch.StartNew();
while ((progress.Committed == 0 || (watch.Arrivals.IsEmpty && probeEvery <= 200)) && warm.Elapsed < TimeSpan.FromSeconds(90) && !engine.HasExited)
{
    Drive(fleet, progress, 2000, TimeSpan.FromSeconds(1));
}

Drive(fleet, progress, 2000, TimeSpan.FromSeconds(5));
WaitForBacklog(progress, fleet);
if (progress.Committed == 0 || engine.HasExited)
{
    Console.Error.WriteLine("The engine did not take any batch during the warm-up; stopping.");
    return 1;
}

double rate = fixedRate;
if (rate == 0)
{
    Console.WriteLine($"Flooding for {floodSeconds} s (the engine's backlog capped at {EngineProgress.MaxBacklog:N0} batches, under what the embedded Kafka keeps) ...");
    Drive(fleet, progress, 0, TimeSpan.FromSeconds(2));
    var flood = Measure(engine, progress, fleet, watch, () => Drive(fleet, progress, 0, TimeSpan.FromSeconds(floodSeconds - 2)));
    flood.Print("max (flood)");
    rate = Math.Max(1, flood.BatchesPerSecond / 2);
    WaitForBacklog(progress, fleet);
}

Console.WriteLine($"Running at {rate:N0} batches/s ({rate * FleetTelemetry.ReadingsPerBatch:N0} readings/s) for {seconds} s ...");
var half = Measure(engine, progress, fleet, watch, () => Drive(fleet, progress, rate, TimeSpan.FromSeconds(seconds)));
half.Print(fixedRate == 0 ? "half of max" : "fixed rate");
Console.WriteLine($"Alerts read: {watch.Alerts:N0}, of other rules than the probe: {watch.Unexpected:N0}; failed writes: {fleet.Failed}");
Directory.Delete(rules, recursive: true);
return 0;

static bool Add(List<string> list, string value)
{
    list.Add(value);
    return value.Length > 0;
}

// Writes batches for the given time: at `rate` batches/s, or (rate 0) as fast as the engine takes
// them, keeping its backlog under EngineProgress.MaxBacklog.
static void Drive(FleetTelemetry fleet, EngineProgress progress, double rate, TimeSpan duration)
{
    var clock = Stopwatch.StartNew();
    long start = fleet.Produced;
    long report = 1;
    while (clock.Elapsed < duration)
    {
        if (Environment.GetEnvironmentVariable("LOAD_TRACE") is not null && clock.Elapsed.TotalSeconds > report)
        {
            report++;
            Console.WriteLine($"  t={clock.Elapsed.TotalSeconds:0} produced {fleet.Produced:N0} committed {progress.Committed:N0}");
        }

        long due = rate > 0
            ? start + (long)(clock.Elapsed.TotalSeconds * rate) - fleet.Produced
            : EngineProgress.MaxBacklog - (fleet.Produced - progress.Committed);
        if (due <= 0)
        {
            Thread.Sleep(1);
            continue;
        }

        for (long i = 0; i < Math.Min(due, 500); i++)
        {
            if (!fleet.ProduceNext())
            {
                Thread.Sleep(1);
                break;
            }
        }
    }
}

static void WaitForBacklog(EngineProgress progress, FleetTelemetry fleet)
{
    var clock = Stopwatch.StartNew();
    while (progress.Committed < fleet.Produced && clock.Elapsed < TimeSpan.FromSeconds(60))
    {
        Thread.Sleep(100);
    }

    Thread.Sleep(1000);
}

static Phase Measure(EngineProcess engine, EngineProgress progress, FleetTelemetry fleet, AlertWatch watch, Action run)
{
    var threadsBefore = engine.CpuSecondsByThread();
    var cpuBefore = engine.CpuTime;
    long committedBefore = progress.Committed;
    long from = Stopwatch.GetTimestamp();
    run();
    long to = Stopwatch.GetTimestamp();
    long committedAfter = progress.Committed;
    var cpuAfter = engine.CpuTime;
    var threadsAfter = engine.CpuSecondsByThread();
    // Let the alerts of the last batches arrive.
    Thread.Sleep(3000);
    var latency = new LongHistogram(TimeSpan.TicksPerMinute, 3);
    int missing = 0;
    foreach (var (key, acked) in fleet.ProbeAcks)
    {
        if (acked < from || acked > to)
        {
            continue;
        }

        if (watch.Arrivals.TryGetValue(key, out long arrived))
        {
            // The engine may read a record before its producer hears the acknowledgement.
            latency.RecordValue(Math.Max(0, (long)((arrived - acked) * 1_000_000.0 / Stopwatch.Frequency)));
        }
        else
        {
            missing++;
        }
    }

    var threads = new Dictionary<string, double>(StringComparer.Ordinal);
    foreach (var (name, after) in threadsAfter)
    {
        double used = after - threadsBefore.GetValueOrDefault(name);
        if (used > 0)
        {
            threads[name] = used;
        }
    }

    double elapsed = (to - from) / (double)Stopwatch.Frequency;
    return new Phase(elapsed, committedAfter - committedBefore, (cpuAfter - cpuBefore).TotalSeconds, latency, missing, threads);
}

internal sealed record Phase(double Seconds, long Batches, double CpuSeconds, LongHistogram LatencyUs, int Missing, Dictionary<string, double> Threads)
{
    public double BatchesPerSecond => Batches / Seconds;

    public void Print(string name)
    {
        double readings = Batches * (double)FleetTelemetry.ReadingsPerBatch;
        Console.WriteLine($"{name}: {BatchesPerSecond:N0} batches/s = {readings / Seconds:N0} readings/s evaluated; engine CPU {CpuSeconds / Seconds:0.00} cores " +
            $"= {readings / CpuSeconds:N0} readings per CPU-second ({Batches / CpuSeconds:N0} batches)");
        if (LatencyUs.TotalCount > 0)
        {
            Console.WriteLine($"  ack -> alert in Kafka, {LatencyUs.TotalCount:N0} probe batches ({Missing} without an alert): " +
                $"p50 {Ms(50)} ms, p90 {Ms(90)} ms, p99 {Ms(99)} ms, p99.9 {Ms(99.9)} ms, max {LatencyUs.GetMaxValue() / 1000.0:0.0} ms");
        }

        Console.Write("  engine CPU by thread (s):");
        foreach (var (thread, used) in Threads.OrderByDescending(t => t.Value).Take(8))
        {
            Console.Write($" {thread}={used:0.00}");
        }

        Console.WriteLine();
    }

    private string Ms(double percentile) => (LatencyUs.GetValueAtPercentile(percentile) / 1000.0).ToString("0.0", CultureInfo.InvariantCulture);
}
