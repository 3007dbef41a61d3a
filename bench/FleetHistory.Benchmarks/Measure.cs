using System.Diagnostics;
using System.Globalization;

namespace Convoy.FleetHistory.Benchmarks;

/// <summary>
/// One measured stretch of work: wall time, the process's CPU time (every thread: the caller's,
/// DuckDB's workers, the GC's), bytes allocated by the calling thread (all of the work's managed
/// allocations: it runs on that thread) and GC counts.
/// </summary>
internal readonly record struct Cost(TimeSpan Wall, TimeSpan Cpu, long Allocated, int Gen0, int Gen1, int Gen2)
{
    public static Cost Of(Action work)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        int gen0 = GC.CollectionCount(0), gen1 = GC.CollectionCount(1), gen2 = GC.CollectionCount(2);
        long started = Stopwatch.GetTimestamp();
        work();
        var wall = Stopwatch.GetElapsedTime(started);
        process.Refresh();
        return new Cost(wall, process.TotalProcessorTime - cpu, GC.GetAllocatedBytesForCurrentThread() - allocated,
            GC.CollectionCount(0) - gen0, GC.CollectionCount(1) - gen1, GC.CollectionCount(2) - gen2);
    }

    /// <summary>Readings per second of wall time.</summary>
    public double PerSecond(long readings) => readings / Wall.TotalSeconds;

    /// <summary>Readings per second of CPU time: the rate one core would reach.</summary>
    public double PerCpuSecond(long readings) => readings / Cpu.TotalSeconds;

    public string Describe(long readings) => string.Create(CultureInfo.InvariantCulture,
        $"{PerSecond(readings),12:N0} readings/s wall {PerCpuSecond(readings),12:N0} per CPU-s {Cpu.TotalNanoseconds / readings,7:N0} ns CPU/reading {(double)Allocated / readings,6:N1} B alloc/reading  (wall {Wall.TotalSeconds:N2} s, CPU {Cpu.TotalSeconds:N2} s, GC {Gen0}/{Gen1}/{Gen2})");
}

internal static class Machine
{
    /// <summary>The 1-, 5- and 15-minute load averages, as <c>uptime</c> shows them.</summary>
    public static string Load()
    {
        try
        {
            var parts = File.ReadAllText("/proc/loadavg").Split(' ');
            return $"load average {parts[0]}, {parts[1]}, {parts[2]} on {Environment.ProcessorCount} cores";
        }
        catch (IOException)
        {
            return $"load unknown, {Environment.ProcessorCount} cores";
        }
    }
}

/// <summary>
/// Latencies of repeated queries, reported as percentiles (nearest rank), with the CPU time each
/// took (the process's, DuckDB's threads included): on a shared machine the wall time's tail is
/// mostly waiting for a core, the CPU time's is not.
/// </summary>
internal sealed class Latencies
{
    private readonly List<double> _ms = [];
    private readonly List<double> _cpuMs = [];
    private readonly List<double> _allocated = [];
    private readonly Process _process = Process.GetCurrentProcess();
    private readonly int[] _collections = new int[3];

    public void Time(Action query)
    {
        _process.Refresh();
        var cpu = _process.TotalProcessorTime;
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        int gen0 = GC.CollectionCount(0), gen1 = GC.CollectionCount(1), gen2 = GC.CollectionCount(2);
        long started = Stopwatch.GetTimestamp();
        query();
        _ms.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        _allocated.Add(GC.GetAllocatedBytesForCurrentThread() - allocated);
        _collections[0] += GC.CollectionCount(0) - gen0;
        _collections[1] += GC.CollectionCount(1) - gen1;
        _collections[2] += GC.CollectionCount(2) - gen2;
        _process.Refresh();
        _cpuMs.Add((_process.TotalProcessorTime - cpu).TotalMilliseconds);
    }

    public double Percentile(double p) => Percentile(_ms, p);

    private static double Percentile(List<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        int rank = (int)Math.Ceiling(p / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"p50 {Percentile(50),7:N2} ms  p99 {Percentile(99),7:N2} ms  max {Percentile(100),7:N2} ms  CPU p50 {Percentile(_cpuMs, 50),6:N1} p99 {Percentile(_cpuMs, 99),6:N1} ms  {Percentile(_allocated, 50) / 1e6,5:N1} MB alloc  GC {_collections[0]}/{_collections[1]}/{_collections[2]}  ({_ms.Count} queries)");
}
