using System.Diagnostics;
using System.Globalization;

namespace Convoy.LoadGenerator;

/// <summary>
/// Keeps the collector under test and everything else on separate CPUs (issue 17: measure the
/// collector's CPU alone): the collector is started under <c>taskset</c> on its CPUs, and this
/// process (the devices' TLS and the embedded Kafka) moves every thread it has to the others;
/// threads started later inherit that. Linux only (taskset, /proc/cpuinfo).
/// </summary>
internal static class CpuPinning
{
    /// <summary>The CPUs in a list such as <c>0</c>, <c>0,2</c> or <c>0-3</c>; throws on anything else.</summary>
    public static SortedSet<int> Parse(string list)
    {
        var cpus = new SortedSet<int>();
        foreach (string part in list.Split(','))
        {
            string[] range = part.Split('-');
            if (range.Length is < 1 or > 2 || !int.TryParse(range[0], out int from) || !int.TryParse(range[^1], out int to) || from < 0 || to < from || to >= Environment.ProcessorCount)
            {
                throw new ArgumentException($"--collector-cpus must list CPUs 0..{Environment.ProcessorCount - 1} as taskset does (0 or 0,2 or 0-1), was '{list}'");
            }

            for (int cpu = from; cpu <= to; cpu++)
            {
                cpus.Add(cpu);
            }
        }

        if (cpus.Count == Environment.ProcessorCount)
        {
            throw new ArgumentException($"--collector-cpus '{list}' leaves no CPU for the load generator and Kafka");
        }

        return cpus;
    }

    /// <summary>Moves every thread of this process onto the CPUs not in <paramref name="collectorCpus"/> (taskset -a -p).</summary>
    public static void PinThisProcessAwayFrom(SortedSet<int> collectorCpus)
    {
        string others = string.Join(',', Enumerable.Range(0, Environment.ProcessorCount).Where(cpu => !collectorCpus.Contains(cpu)));
        using var taskset = Process.Start(new ProcessStartInfo("taskset", ["-a", "-p", "-c", others, Environment.ProcessId.ToString(CultureInfo.InvariantCulture)])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        string error = taskset.StandardError.ReadToEnd();
        taskset.WaitForExit();
        if (taskset.ExitCode != 0)
        {
            throw new InvalidOperationException($"taskset could not move the generator onto CPUs {others}: {error.Trim()}");
        }
    }

    /// <summary>The CPU's model as /proc/cpuinfo names it, with its family and model numbers (some hosts name only those).</summary>
    public static string Model()
    {
        try
        {
            var fields = File.ReadLines("/proc/cpuinfo").TakeWhile(l => l.Length > 0)
                .Select(l => l.Split(':', 2)).Where(p => p.Length == 2).GroupBy(p => p[0].Trim()).ToDictionary(g => g.Key, g => g.First()[1].Trim());
            return $"{fields.GetValueOrDefault("model name", "?")} (vendor {fields.GetValueOrDefault("vendor_id", "?")}, family {fields.GetValueOrDefault("cpu family", "?")}, model {fields.GetValueOrDefault("model", "?")}), {Environment.ProcessorCount} CPUs";
        }
        catch (IOException)
        {
            return $"unknown, {Environment.ProcessorCount} CPUs";
        }
    }
}
