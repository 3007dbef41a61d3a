using System.Globalization;

namespace Convoy.LoadGenerator;

/// <summary>Command-line switches of the load generator.</summary>
internal sealed class LoadOptions
{
    public const string Help = """
        Convoy load generator: runs the same mTLS load against the Convoy collector and the
        reference collector (generated types, one awaited ProduceAsync per batch), each in its own
        process, against one embedded Kafka, and prints both with their ratio.

        Usage: dotnet run -c Release --project bench/LoadGenerator -- [options]
          --shape bulk|fleet    bulk: few devices sending large batches as fast as the window allows
                                (a truck back online); fleet: many devices, a small batch each per second (bulk)
          --devices N           devices (bulk 40, fleet 1000; the fleet target is 10000)
          --tenants N           tenants the devices are spread over (4)
          --readings N          readings per sensor per batch, 4 sensors (bulk 1000, fleet 10)
          --seconds N           measured seconds per collector, after 3 s of warm-up (20)
          --target both|convoy|reference   which collectors to run (both)
          --window N            batches in flight per device (32)
          --interval N          fleet: seconds between one device's batches (1)
          --connect-rate N      new device connections per second while starting up (400)
          --baseline N          fleet: devices connected first, for the memory baseline; the collector's
                                memory per device is (memory at all devices - memory at N) / (devices - N)
                                (a tenth of the devices, at most 200; bulk 0)
          --heap                also count the collector's managed heap by type at the baseline and at all
                                devices, each after a full GC (ClrMD, from a snapshot: it pages the
                                collector's files in, so take RSS figures from a run without it), and
                                print what each device holds
          --collector-cpus LIST the collectors under test run on these CPUs only (taskset -c LIST) and the
                                generator with the embedded Kafka on the others, so a collector's CPU is
                                its own and not the machine's total (e.g. 0; off by default)
          --collector-env K=V   an environment variable for the collectors under test only, e.g.
                                DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0 (repeatable)
          --check FILE          after a run of both, exit 1 if Convoy's allocation per reading exceeds the
                                budget in FILE (bench/allocation-budget.json) or its readings/s ratio
                                against the reference falls under the floor there (the CI smoke)
        """;

    public string Shape { get; private set; } = "bulk";

    public int Devices { get; private set; }

    public int Tenants { get; private set; } = 4;

    public int ReadingsPerSensor { get; private set; }

    public int Seconds { get; private set; } = 20;

    public string Target { get; private set; } = "both";

    public int Window { get; private set; } = 32;

    public int IntervalSeconds { get; private set; } = 1;

    public int ConnectRate { get; private set; } = 400;

    public bool ShowHelp { get; private set; }

    /// <summary>Devices connected before the memory baseline is sampled; -1 until parsed.</summary>
    public int BaselineDevices { get; private set; } = -1;

    /// <summary>Whether to take a census of the collector's managed heap at the baseline and at all devices.</summary>
    public bool HeapCensus { get; private set; }

    /// <summary>Environment variables for the collector processes (not the generator).</summary>
    public Dictionary<string, string> CollectorEnvironment { get; } = new(StringComparer.Ordinal);

    /// <summary>The CPUs the collectors run on (taskset's list), the generator on the others; null for no pinning.</summary>
    public string? CollectorCpus { get; private set; }

    /// <summary>The budget file to check the run against; null for no check.</summary>
    public string? CheckFile { get; private set; }

    public bool IsFleet => Shape == "fleet";

    public static LoadOptions Parse(string[] args)
    {
        var options = new LoadOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            if (name is "--help" or "-h")
            {
                options.ShowHelp = true;
                continue;
            }

            if (name == "--heap")
            {
                options.HeapCensus = true;
                continue;
            }

            string value = i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{name} needs a value");
            switch (name)
            {
                case "--shape" when value is "bulk" or "fleet": options.Shape = value; break;
                case "--devices": options.Devices = Positive(name, value); break;
                case "--tenants": options.Tenants = Positive(name, value); break;
                case "--readings": options.ReadingsPerSensor = Positive(name, value); break;
                case "--seconds": options.Seconds = Positive(name, value); break;
                case "--window": options.Window = Positive(name, value); break;
                case "--interval": options.IntervalSeconds = Positive(name, value); break;
                case "--connect-rate": options.ConnectRate = Positive(name, value); break;
                case "--baseline": options.BaselineDevices = Positive(name, value); break;
                case "--target" when value is "both" or "convoy" or "reference": options.Target = value; break;
                case "--check": options.CheckFile = value; break;
                case "--collector-cpus": CpuPinning.Parse(value); options.CollectorCpus = value; break;
                case "--collector-env" when value.IndexOf('=', StringComparison.Ordinal) > 0:
                    options.CollectorEnvironment[value[..value.IndexOf('=', StringComparison.Ordinal)]] = value[(value.IndexOf('=', StringComparison.Ordinal) + 1)..];
                    break;
                default: throw new ArgumentException($"'{name} {value}' is not understood; see --help");
            }
        }

        if (options.Devices == 0)
        {
            options.Devices = options.IsFleet ? 1000 : 40;
        }

        if (options.ReadingsPerSensor == 0)
        {
            options.ReadingsPerSensor = options.IsFleet ? 10 : 1000;
        }

        if (options.BaselineDevices < 0)
        {
            options.BaselineDevices = options.IsFleet ? Math.Min(200, options.Devices / 10) : 0;
        }

        if (options.BaselineDevices >= options.Devices)
        {
            throw new ArgumentException($"--baseline must be under --devices ({options.Devices}), was {options.BaselineDevices}");
        }

        return options;
    }

    private static int Positive(string name, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0 ? n : throw new ArgumentException($"{name} must be a positive integer, was '{value}'");
}
