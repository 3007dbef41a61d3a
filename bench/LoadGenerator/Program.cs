using System.Diagnostics;
using System.Globalization;
using Convoy.Kafka.Embedded;
using Convoy.LoadGenerator;
using Convoy.Pki;
using HdrHistogram;

LoadOptions options;
try
{
    options = LoadOptions.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

if (options.ShowHelp)
{
    Console.WriteLine(LoadOptions.Help);
    return 0;
}

string repository = Convoy.TestKit.Repository.Root;
Console.WriteLine($"CPU: {CpuPinning.Model()}");
if (options.CollectorCpus is { } collectorCpus)
{
    CpuPinning.PinThisProcessAwayFrom(CpuPinning.Parse(collectorCpus));
    Console.WriteLine($"The collectors run on CPU {collectorCpus} only; this generator and the embedded Kafka on the others.");
}

string certificatesFolder = Path.Combine(repository, ".convoy", "loadgen-certs");
Console.WriteLine($"Issuing {options.Devices} device certificates in {certificatesFolder} (kept for the next run) ...");
var certificates = DevCertificates.Ensure(certificatesFolder);
var trustRoots = CertificateIssuer.LoadPemCertificates(certificates.AuthorityCertificatePath);
var devices = new List<(string Device, System.Security.Cryptography.X509Certificates.X509Certificate2 Certificate)>(options.Devices);
for (int i = 0; i < options.Devices; i++)
{
    var identity = new DeviceIdentity($"tenant-{i % options.Tenants}", $"device-{i:D5}");
    var (certificate, key) = certificates.EnsureDevice(identity);
    devices.Add((identity.Device, CertificateIssuer.LoadPem(certificate, key)));
}

using var kafka = EmbeddedKafkaCluster.Start();
for (int t = 0; t < options.Tenants; t++)
{
    kafka.CreateTopic($"telemetry.tenant-{t}", partitions: 4);
}

Console.WriteLine($"Shape {options.Shape}: {options.Devices} devices over {options.Tenants} tenants, {options.ReadingsPerSensor * 4} readings per batch, {(options.IsFleet ? $"one every {options.IntervalSeconds} s per device" : $"window {options.Window}")}, {options.Seconds} s measured after 3 s warm-up.");
Console.WriteLine("Kafka: the embedded mock cluster in this process (in memory). Readers of these figures: it is not a real broker's cost.");
var results = new List<Result>();
foreach (string target in options.Target == "both" ? new[] { "reference", "convoy" } : new[] { options.Target })
{
    using var collector = await CollectorProcess.StartAsync(target, repository, kafka.BootstrapServers, certificatesFolder, options.CollectorEnvironment, options.CollectorCpus);
    Console.WriteLine($"{target}: collector started at {collector.Address}; connecting {options.Devices} devices ...");
    var loads = devices.Select(d => new DeviceLoad(collector.Address, d.Certificate, trustRoots, d.Device, options)).ToList();
    var latencies = new LongHistogram(TimeSpan.TicksPerMinute, 3);
    bool measuring = false;
    using var stop = new CancellationTokenSource();
    // Devices connect spread over time, as a real fleet does (agents reconnect with jitter):
    // 10,000 simultaneous TLS handshakes would measure a thundering herd, not the steady state.
    // First the baseline's devices, whose memory is subtracted from the whole fleet's; then the rest.
    var running = new List<Task>(loads.Count);
    var connecting = Stopwatch.StartNew();
    var baseline = await ConnectAsync(loads[..options.BaselineDevices]);
    var baselineHeap = options.HeapCensus ? HeapCensus.Take(collector.ProcessId, options.BaselineDevices) : null;
    var connected = await ConnectAsync(loads[options.BaselineDevices..]);
    var connectedHeap = options.HeapCensus ? HeapCensus.Take(collector.ProcessId, loads.Count(l => l.Started)) : null;
    Console.WriteLine($"{target}: {loads.Count(l => l.Started)} of {loads.Count} devices streaming after {connecting.Elapsed.TotalSeconds:0.0} s ({loads.Sum(l => l.FailedConnects)} failed connection attempts retried)");

    var before = await collector.RuntimeAsync();
    var cpuBefore = collector.CpuTime;
    var clock = Stopwatch.StartNew();
    Volatile.Write(ref measuring, true);
    // The collector's working set, sampled every second: flat in a steady run, or it grows.
    var workingSet = new List<double>(options.Seconds + 1);
    while (clock.Elapsed < TimeSpan.FromSeconds(options.Seconds))
    {
        workingSet.Add(collector.WorkingSetBytes / 1048576.0);
        await Task.Delay(TimeSpan.FromSeconds(Math.Min(1, options.Seconds - clock.Elapsed.TotalSeconds)).Duration());
    }

    Volatile.Write(ref measuring, false);
    Console.WriteLine($"{target}: working set MB every 10 s: {string.Join(", ", workingSet.Where((_, i) => i % 10 == 0).Select(w => w.ToString("0.0", CultureInfo.InvariantCulture)))}");
    var elapsed = clock.Elapsed;
    var cpu = collector.CpuTime - cpuBefore;
    var after = await collector.RuntimeAsync();
    PrintMemory(target, baseline, connected, MemorySample.Read(collector.ProcessId, loads.Count(l => l.Started)));
    if (baselineHeap is not null && connectedHeap is not null)
    {
        PrintHeap(target, baselineHeap, connectedHeap);
    }

    await stop.CancelAsync();
    await Task.WhenAll(running).WaitAsync(TimeSpan.FromSeconds(30)).ContinueWith(static _ => { }, TaskScheduler.Default);
    var failed = running.FirstOrDefault(t => t.IsFaulted);
    if (failed is not null)
    {
        Console.Error.WriteLine($"{running.Count(t => t.IsFaulted)} device(s) failed; the first: {failed.Exception!.InnerException!.Message}");
    }

    long batches = loads.Sum(l => l.AckedBatches);
    long readings = batches * options.ReadingsPerSensor * 4;
    results.Add(new Result(
        target,
        readings / elapsed.TotalSeconds,
        batches / elapsed.TotalSeconds,
        Percentile(latencies, 50),
        Percentile(latencies, 99),
        Percentile(latencies, 99.9),
        cpu.TotalSeconds / elapsed.TotalSeconds,
        batches == 0 ? double.NaN : cpu.TotalMicroseconds / batches,
        batches == 0 ? double.NaN : (after.AllocatedBytes - before.AllocatedBytes) / batches,
        readings == 0 ? double.NaN : (after.AllocatedBytes - before.AllocatedBytes) / readings,
        after.Gen0 - before.Gen0,
        after.Gen1 - before.Gen1,
        after.Gen2 - before.Gen2,
        WorkingSet(workingSet, first: true),
        WorkingSet(workingSet, first: false),
        workingSet.Count == 0 ? double.NaN : workingSet.Max()));
    foreach (var load in loads)
    {
        load.Dispose();
    }

    // Starts these devices at the connect rate, waits until each is acknowledged once (TLS
    // handshake done, stream up) and 3 s more, and samples the collector's memory then, as it
    // runs and again 2 s after a full GC (what the connections hold, without waiting garbage).
    async Task<(MemorySample Running, MemorySample Collected)> ConnectAsync(List<DeviceLoad> group)
    {
        var ramp = TimeSpan.FromSeconds(group.Count / (double)options.ConnectRate);
        running.AddRange(group.Select((l, i) => Task.Run(async () =>
        {
            await Task.Delay(ramp * i / group.Count);
            await l.RunAsync(latencies, () => Volatile.Read(ref measuring), stop.Token);
        })));
        var waiting = Stopwatch.StartNew();
        while (!group.TrueForAll(l => l.Started) && waiting.Elapsed < ramp + TimeSpan.FromMinutes(1))
        {
            await Task.Delay(250);
        }

        await Task.Delay(TimeSpan.FromSeconds(3));
        int started = loads.Count(l => l.Started);
        var asItRuns = MemorySample.Read(collector.ProcessId, started);
        await collector.CollectGarbageAsync();
        await Task.Delay(TimeSpan.FromSeconds(2));
        return (asItRuns, MemorySample.Read(collector.ProcessId, started));
    }
}

Print(results);
return options.CheckFile is null ? 0 : Check(results, options);

// The CI smoke: ratios and bytes only, never absolute times (CI machines are shared and noisy).
static int Check(List<Result> results, LoadOptions options)
{
    if (results.Count != 2)
    {
        Console.Error.WriteLine("--check needs --target both: it compares against the reference of the same run");
        return 2;
    }

    using var budget = System.Text.Json.JsonDocument.Parse(File.ReadAllText(options.CheckFile!));
    string shape = options.IsFleet ? "fleet" : "bulk";
    double maxBytes = budget.RootElement.GetProperty($"{shape}LoadBytesPerReading").GetDouble();
    double maxBatchBytes = budget.RootElement.GetProperty($"{shape}LoadBytesPerBatch").GetDouble();
    double minRatio = budget.RootElement.GetProperty($"{shape}LoadMinReadingsRatio").GetDouble();
    var (reference, convoy) = (results[0], results[1]);
    double ratio = convoy.ReadingsPerSecond / reference.ReadingsPerSecond;
    bool bytesOk = convoy.BytesPerReading <= maxBytes && convoy.BytesPerBatch <= maxBatchBytes;
    bool ratioOk = ratio >= minRatio;
    var c = CultureInfo.InvariantCulture;
    Console.WriteLine();
    Console.WriteLine(string.Create(c, $"check {shape}: allocated {convoy.BytesPerReading:0.00} B/reading and {convoy.BytesPerBatch:N0} B/batch (budgets {maxBytes:0.00} and {maxBatchBytes:N0}) {(bytesOk ? "ok" : "OVER BUDGET")}; " +
        $"readings/s {ratio:0.00}x the reference (floor {minRatio:0.00}x) {(ratioOk ? "ok" : "COLLAPSED")}"));
    return bytesOk && ratioOk ? 0 : 1;
}

// The mean of the first or the last fifth of the samples (at least one).
static double WorkingSet(List<double> samples, bool first)
{
    if (samples.Count == 0)
    {
        return double.NaN;
    }

    int n = Math.Max(1, samples.Count / 5);
    return (first ? samples.Take(n) : samples.Skip(samples.Count - n)).Average();
}

// The collector's memory per connected device: what the devices beyond the baseline added, once
// all were connected (as it ran, and after a full GC) and at the end of the measured seconds
// (which tells whether it grows).
static void PrintMemory(string target, (MemorySample Running, MemorySample Collected) baseline, (MemorySample Running, MemorySample Collected) connected, MemorySample end)
{
    var c = CultureInfo.InvariantCulture;
    Console.WriteLine(string.Create(c, $"{target}: RSS {baseline.Collected.RssBytes / 1048576.0:0.0} MB at {baseline.Collected.Devices} devices, {connected.Collected.RssBytes / 1048576.0:0.0} MB at {connected.Collected.Devices} (both after a full GC), {end.RssBytes / 1048576.0:0.0} MB after the measured seconds"));
    foreach (var (when, sample, since) in new[] { ("connected", connected.Running, baseline.Running), ("after a full GC", connected.Collected, baseline.Collected), ("end", end, baseline.Running) })
    {
        var (rss, anonymous, file) = sample.PerDeviceSince(since);
        Console.WriteLine(string.Create(c, $"{target}: memory per connected device ({when}): RSS {rss / 1024:0.0} KB (anonymous {anonymous / 1024:0.0} KB, file {file / 1024:0.0} KB)"));
    }
}

// The managed part of it by type, the largest 40, and what is not reachable (garbage not yet collected).
static void PrintHeap(string target, HeapCensus baseline, HeapCensus end)
{
    var c = CultureInfo.InvariantCulture;
    double devices = end.Devices - baseline.Devices;
    Console.WriteLine(string.Create(c, $"{target}: managed heap per connected device: {(end.LiveBytes - baseline.LiveBytes) / devices / 1024:0.0} KB reachable, {(end.DeadBytes - baseline.DeadBytes) / devices / 1024:0.0} KB garbage, {(end.CommittedBytes - baseline.CommittedBytes) / devices / 1024:0.0} KB GC-committed ({end.Heaps} {(end.IsServer ? "server" : "workstation")} GC heap(s); {end.LiveBytes / 1048576.0:0.0} MB reachable in all)"));
    Console.WriteLine($"{"  per device: bytes",21} {"objects",8}  type");
    foreach (var (type, count, bytes) in end.PerDevice(baseline).Take(40))
    {
        Console.WriteLine(string.Create(c, $"{bytes,21:N0} {count,8:0.00}  {type}"));
    }
}

static double Percentile(LongHistogram latencies, double percentile) =>
    latencies.TotalCount == 0 ? double.NaN : latencies.GetValueAtPercentile(percentile) / 1000.0;

static void Print(List<Result> results)
{
    var c = CultureInfo.InvariantCulture;
    var rows = new (string Name, Func<Result, double> Value, string Format)[]
    {
        ("readings/s", r => r.ReadingsPerSecond, "N0"),
        ("batches/s", r => r.BatchesPerSecond, "N0"),
        ("ack p50 ms", r => r.P50Ms, "0.00"),
        ("ack p99 ms", r => r.P99Ms, "0.00"),
        ("ack p99.9 ms", r => r.P999Ms, "0.00"),
        ("collector CPU (cores)", r => r.CpuCores, "0.00"),
        ("collector CPU us/batch", r => r.CpuMicrosPerBatch, "N1"),
        ("allocated B/batch", r => r.BytesPerBatch, "N0"),
        ("allocated B/reading", r => r.BytesPerReading, "0.00"),
        ("GC gen0", r => r.Gen0, "N0"),
        ("GC gen1", r => r.Gen1, "N0"),
        ("GC gen2", r => r.Gen2, "N0"),
        ("working set MB, start", r => r.WorkingSetStartMb, "N1"),
        ("working set MB, end", r => r.WorkingSetEndMb, "N1"),
        ("working set MB, max", r => r.WorkingSetMaxMb, "N1"),
    };
    Console.WriteLine();
    Console.Write($"{"",-24}");
    foreach (var r in results)
    {
        Console.Write($"{r.Target,16}");
    }

    bool ratio = results.Count == 2;
    Console.WriteLine(ratio ? $"{"convoy/reference",18}" : string.Empty);
    foreach (var (name, value, format) in rows)
    {
        Console.Write($"{name,-24}");
        foreach (var r in results)
        {
            Console.Write(value(r).ToString(format, c).PadLeft(16));
        }

        if (ratio)
        {
            double reference = value(results[0]);
            double convoy = value(results[1]);
            Console.Write((reference == 0 ? "-" : (convoy / reference).ToString("0.00", c) + "x").PadLeft(18));
        }

        Console.WriteLine();
    }
}

internal sealed record Result(string Target, double ReadingsPerSecond, double BatchesPerSecond, double P50Ms, double P99Ms, double P999Ms,
    double CpuCores, double CpuMicrosPerBatch, double BytesPerBatch, double BytesPerReading, double Gen0, double Gen1, double Gen2,
    double WorkingSetStartMb, double WorkingSetEndMb, double WorkingSetMaxMb);
