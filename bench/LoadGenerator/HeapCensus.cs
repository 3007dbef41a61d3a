using System.Globalization;
using Microsoft.Diagnostics.Runtime;

namespace Convoy.LoadGenerator;

/// <summary>
/// The collector's managed heap counted by type (ClrMD, from a snapshot of the process):
/// the objects reachable from a root, so garbage not yet collected is counted apart. Two censuses
/// at different numbers of connected devices tell what each device holds (<see cref="PerDevice"/>).
/// Byte arrays of 1 KB and more are counted by length, since buffers are what a connection holds.
/// </summary>
internal sealed class HeapCensus
{
    private HeapCensus(int devices, Dictionary<string, (long Count, long Bytes)> live, long deadBytes, long committedBytes, int heaps, bool isServer)
    {
        Devices = devices;
        Live = live;
        DeadBytes = deadBytes;
        CommittedBytes = committedBytes;
        Heaps = heaps;
        IsServer = isServer;
    }

    public int Devices { get; }

    /// <summary>Reachable objects by type: how many and their bytes.</summary>
    public Dictionary<string, (long Count, long Bytes)> Live { get; }

    public long LiveBytes => Live.Values.Sum(static v => v.Bytes);

    /// <summary>Bytes of objects on the heap that no root reaches (garbage a GC has not yet collected).</summary>
    public long DeadBytes { get; }

    /// <summary>Memory the GC has committed for its segments (regions).</summary>
    public long CommittedBytes { get; }

    /// <summary>GC heaps: 1 with the workstation GC, one per core (or as DATAS decides) with the server GC.</summary>
    public int Heaps { get; }

    /// <summary>Whether the collector runs the server GC.</summary>
    public bool IsServer { get; }

    public static HeapCensus Take(int processId, int devices)
    {
        // A snapshot taken in the middle of a GC has a heap that cannot be walked: take another.
        for (int attempt = 1; ; attempt++)
        {
            if (TryCount(processId, devices, force: attempt == 20) is { } census)
            {
                return census;
            }

            Thread.Sleep(200);
        }
    }

    private static HeapCensus? TryCount(int processId, int devices, bool force)
    {
        // A snapshot (the runtime's createdump), not a live attach: a live attach to the suspended
        // collector sometimes never returned.
        using var target = DataTarget.CreateSnapshotAndAttach(processId);
        // The DAC that reads the heap ships beside the runtime the collector runs on, so it is that
        // runtime's own; ClrMD reads the attached runtime's version as 0.0 and would refuse it.
        var clr = target.ClrVersions[0];
        using var runtime = clr.CreateRuntime(Path.Combine(Path.GetDirectoryName(clr.ModuleInfo.FileName)!, "libmscordaccore.so"), ignoreMismatch: true);
        return runtime.Heap.CanWalkHeap || force ? Count(runtime.Heap, devices) : null;
    }

    private static HeapCensus Count(ClrHeap heap, int devices)
    {
        var reached = new HashSet<ulong>();
        var pending = new Stack<ClrObject>();
        foreach (var root in heap.EnumerateRoots())
        {
            if (root.Object.IsValid && reached.Add(root.Object.Address))
            {
                pending.Push(root.Object);
            }
        }

        while (pending.Count > 0)
        {
            foreach (var reference in pending.Pop().EnumerateReferences(carefully: true, considerDependantHandles: true))
            {
                if (reference.IsValid && reached.Add(reference.Address))
                {
                    pending.Push(reference);
                }
            }
        }

        var live = new Dictionary<string, (long Count, long Bytes)>(StringComparer.Ordinal);
        long dead = 0;
        foreach (var o in heap.EnumerateObjects())
        {
            if (!o.IsValid || o.IsFree)
            {
                continue;
            }

            long size = (long)o.Size;
            if (!reached.Contains(o.Address))
            {
                dead += size;
                continue;
            }

            string name = o.Type?.Name ?? "?";
            if (name == "System.Byte[]" && o.AsArray().Length >= 1024)
            {
                name = string.Create(CultureInfo.InvariantCulture, $"System.Byte[{o.AsArray().Length}]");
            }

            var (count, bytes) = live.GetValueOrDefault(name);
            live[name] = (count + 1, bytes + size);
        }

        long committed = heap.Segments.Sum(static s => (long)s.CommittedMemory.Length);
        return new HeapCensus(devices, live, dead, committed, heap.SubHeaps.Length, heap.IsServer);
    }

    /// <summary>What each device added between <paramref name="baseline"/> and this census, largest first.</summary>
    public IEnumerable<(string Type, double Count, double Bytes)> PerDevice(HeapCensus baseline)
    {
        double devices = Devices - baseline.Devices;
        return Live
            .Select(t => (t.Key, (t.Value.Count - baseline.Live.GetValueOrDefault(t.Key).Count) / devices, (t.Value.Bytes - baseline.Live.GetValueOrDefault(t.Key).Bytes) / devices))
            .OrderByDescending(static t => t.Item3);
    }
}
