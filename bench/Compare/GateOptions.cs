using System.Globalization;

namespace Convoy.BenchCompare;

internal sealed record Side(string Name, string Commit, string Folder);

/// <summary>What a metric's change may be before the gate fails.</summary>
internal enum Rule
{
    /// <summary>Shown, never failed on: too noisy on a shared machine to gate.</summary>
    Report,

    /// <summary>Fails when the median of the rounds' head/base ratios is above the CPU threshold.</summary>
    Cpu,

    /// <summary>Fails when the head's median is above the base's by more than the allocation tolerance (both relative and absolute).</summary>
    LoadAllocation,

    /// <summary>Fails on any increase: BenchmarkDotNet counts a benchmark's allocations exactly.</summary>
    MicroAllocation,
}

internal sealed class GateOptions
{
    public const string Help = """
        Usage: bench/compare BASE HEAD [options]
          Builds both commits (git worktrees of their own), then runs, interleaved A/B in one run, a
          short fleet load of each collector (bench/LoadGenerator --shape fleet --target convoy) and
          the collector's hot-path micro-benchmarks (BenchmarkDotNet, short job, memory diagnoser),
          and prints each metric's head/base ratio with its spread as a Markdown table; the table
          and a JSON record are kept in --out for the trend.
          Exit code 1 when a gated metric regressed, 0 when none did, 2 on a usage or build error.
          --rounds N            load rounds, each running both sides, the order alternating (6; even,
                                so each side runs second as often as the other; a load metric needs
                                at least 4 to be gated: fewer runs cannot tell a change from noise)
          --seconds N           measured seconds per load run (5)
          --devices N           fleet devices per load run (1000)
          --micro FILTER        BenchmarkDotNet filter (*BatchIngestBenchmarks.ValidateInPlace*); none to skip
          --micro-rounds N      rounds that also run the micro-benchmarks (1)
          --cpu-threshold R     fail when CPU per batch rises by more than this ratio (1.25) and the
                                rounds show it beyond noise (one-sided Mann-Whitney, p < 0.025)
          --alloc-tolerance R   fail when the load's bytes per batch rise by more than this ratio and
                                --alloc-bytes together (1.10)
          --alloc-bytes N       ... and more than this many bytes per batch (32)
          --out DIR             where the table and the JSON go (bench/history)
        """;

    public string Repository { get; private set; } = Directory.GetCurrentDirectory();

    public string Base { get; private set; } = "";

    public string Head { get; private set; } = "";

    public int Rounds { get; private set; } = 6;

    public int Seconds { get; private set; } = 5;

    public int Devices { get; private set; } = 1000;

    public string? Micro { get; private set; } = "*BatchIngestBenchmarks.ValidateInPlace*";

    public int MicroRounds { get; private set; } = 1;

    public double CpuThreshold { get; private set; } = 1.25;

    public double AllocationTolerance { get; private set; } = 1.10;

    public double AllocationBytes { get; private set; } = 32;

    public string Out { get; private set; } = "";

    public static GateOptions? Parse(string[] args, out string? error)
    {
        error = null;
        var options = new GateOptions();
        var positional = new List<string>();
        var c = CultureInfo.InvariantCulture;
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            if (name is "--help" or "-h")
            {
                return null;
            }

            if (!name.StartsWith("--", StringComparison.Ordinal))
            {
                positional.Add(name);
                continue;
            }

            if (i + 1 >= args.Length)
            {
                error = $"{name} needs a value\n{Help}";
                return null;
            }

            string value = args[++i];
            bool ok = true;
            switch (name)
            {
                case "--repository": options.Repository = value; break;
                case "--rounds": ok = int.TryParse(value, c, out int rounds) && rounds > 0 && rounds % 2 == 0; options.Rounds = rounds; break;
                case "--seconds": ok = int.TryParse(value, c, out int seconds) && seconds > 0; options.Seconds = seconds; break;
                case "--devices": ok = int.TryParse(value, c, out int devices) && devices > 0; options.Devices = devices; break;
                case "--micro": options.Micro = value == "none" ? null : value; break;
                case "--micro-rounds": ok = int.TryParse(value, c, out int micro) && micro >= 0; options.MicroRounds = micro; break;
                case "--cpu-threshold": ok = double.TryParse(value, c, out double cpu) && cpu > 1; options.CpuThreshold = cpu; break;
                case "--alloc-tolerance": ok = double.TryParse(value, c, out double tolerance) && tolerance >= 1; options.AllocationTolerance = tolerance; break;
                case "--alloc-bytes": ok = double.TryParse(value, c, out double bytes) && bytes >= 0; options.AllocationBytes = bytes; break;
                case "--out": options.Out = value; break;
                default: error = $"unknown option {name}\n{Help}"; return null;
            }

            if (!ok)
            {
                error = $"{name} {value} is not a valid value\n{Help}";
                return null;
            }
        }

        if (positional.Count != 2)
        {
            error = $"give two commits, BASE and HEAD\n{Help}";
            return null;
        }

        (options.Base, options.Head) = (positional[0], positional[1]);
        options.Out = Path.GetFullPath(options.Out.Length > 0 ? options.Out : Path.Combine(options.Repository, "bench", "history"));
        return options;
    }
}
