using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Convoy.BenchCompare;

// bench/compare BASE HEAD: see GateOptions.Help.
var options = GateOptions.Parse(args, out string? usageError);
if (options is null)
{
    Console.Error.WriteLine(usageError ?? GateOptions.Help);
    return usageError is null ? 0 : 2;
}

var c = CultureInfo.InvariantCulture;
string work = Directory.CreateTempSubdirectory("convoy-compare-").FullName;
var sides = new List<Side>();
try
{
    foreach (var (name, revision) in new[] { ("base", options.Base), ("head", options.Head) })
    {
        string commit = Shell.Run("git", options.Repository, "rev-parse", "--verify", revision + "^{commit}").Trim();
        string folder = Path.Combine(work, name);
        Shell.Run("git", options.Repository, "worktree", "add", "--detach", "--force", folder, commit);
        sides.Add(new Side(name, commit, folder));
    }

    var machine = Machine.Describe();
    Console.WriteLine($"Comparing {options.Base} ({sides[0].Commit[..10]}) with {options.Head} ({sides[1].Commit[..10]}) on {machine}");
    foreach (var side in sides)
    {
        var built = Stopwatch.StartNew();
        Shell.Run("dotnet", side.Folder, "build", "-c", "Release", "bench/LoadGenerator", "-v", "q", "-nologo");
        if (options.Micro is not null)
        {
            Shell.Run("dotnet", side.Folder, "build", "-c", "Release", "bench/Collector.Benchmarks", "-v", "q", "-nologo");
        }

        Console.WriteLine($"  built {side.Name} in {built.Elapsed.TotalSeconds:0} s");
    }

    var metrics = new Metrics();
    for (int round = 1; round <= options.Rounds; round++)
    {
        // Interleaved: the order alternates, so a machine getting busier or quieter hits both sides alike.
        var order = round % 2 == 1 ? sides : [sides[1], sides[0]];
        foreach (var side in order)
        {
            string output = Shell.Run("dotnet", side.Folder, "run", "-c", "Release", "--no-build", "--project", "bench/LoadGenerator", "--",
                "--shape", "fleet", "--devices", options.Devices.ToString(c), "--seconds", options.Seconds.ToString(c), "--target", "convoy");
            var load = LoadResult.Parse(output);
            metrics.Add(side.Name, round, "load: collector CPU µs per batch", load.CpuMicrosPerBatch, Rule.Cpu);
            metrics.Add(side.Name, round, "load: allocated B per batch", load.BytesPerBatch, Rule.LoadAllocation);
            metrics.Add(side.Name, round, "load: batches/s", load.BatchesPerSecond, Rule.Report);
            metrics.Add(side.Name, round, "load: ack p99 ms", load.P99Ms, Rule.Report);
            Console.WriteLine(string.Create(c, $"  round {round} {side.Name}: {load.CpuMicrosPerBatch:0.0} µs CPU/batch, {load.BytesPerBatch:0} B/batch, {load.BatchesPerSecond:0} batches/s, p99 {load.P99Ms:0.0} ms; {Machine.Load()}"));
        }

        if (options.Micro is not null && round <= options.MicroRounds)
        {
            foreach (var side in order)
            {
                string artifacts = Path.Combine(work, $"micro-{side.Name}-{round}");
                Shell.Run("dotnet", side.Folder, "run", "-c", "Release", "--no-build", "--project", "bench/Collector.Benchmarks", "--",
                    "--filter", options.Micro, "--job", "short", "--memory", "--exporters", "json", "--artifacts", artifacts);
                foreach (var micro in MicroResult.Read(artifacts))
                {
                    metrics.Add(side.Name, round, $"micro: {micro.Name} ns", micro.MedianNs, Rule.Report);
                    metrics.Add(side.Name, round, $"micro: {micro.Name} B allocated", micro.BytesAllocated, Rule.MicroAllocation);
                }

                Console.WriteLine($"  round {round} {side.Name}: micro-benchmarks done; {Machine.Load()}");
            }
        }
    }

    var report = metrics.Compare(options);
    string markdown = report.Markdown(options, sides, machine);
    Console.WriteLine();
    Console.WriteLine(markdown);
    Directory.CreateDirectory(options.Out);
    string stem = Path.Combine(options.Out, $"compare-{DateTime.UtcNow:yyyyMMdd'T'HHmmss'Z'}-{sides[0].Commit[..10]}-{sides[1].Commit[..10]}");
    File.WriteAllText(stem + ".md", markdown);
    File.WriteAllText(stem + ".json", report.Json(options, sides, machine));
    Console.WriteLine($"Kept for the trend: {stem}.json");
    return report.Regressed ? 1 : 0;
}
catch (ShellException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}
finally
{
    foreach (var side in sides)
    {
        try
        {
            Shell.Run("git", options.Repository, "worktree", "remove", "--force", side.Folder);
        }
        catch (ShellException)
        {
            // Already gone; prune below.
        }
    }

    Shell.TryRun("git", options.Repository, "worktree", "prune");
    Directory.Delete(work, recursive: true);
}

namespace Convoy.BenchCompare
{
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
              --rounds N            load rounds, each running both sides (5; a load metric needs at least
                                    4 to be gated: fewer runs cannot tell a change from noise)
              --seconds N           measured seconds per load run (5)
              --devices N           fleet devices per load run (1000)
              --micro FILTER        BenchmarkDotNet filter (*BatchIngestBenchmarks.ValidateInPlace*); none to skip
              --micro-rounds N      rounds that also run the micro-benchmarks (1)
              --cpu-threshold R     fail when CPU per batch rises by more than this ratio (1.15) and the
                                    rounds show it beyond noise (one-sided Mann-Whitney, p < 0.025)
              --alloc-tolerance R   fail when the load's bytes per batch rise by more than this ratio and
                                    --alloc-bytes together (1.10)
              --alloc-bytes N       ... and more than this many bytes per batch (32)
              --out DIR             where the table and the JSON go (bench/history)
            """;

        public string Repository { get; private set; } = Directory.GetCurrentDirectory();

        public string Base { get; private set; } = "";

        public string Head { get; private set; } = "";

        public int Rounds { get; private set; } = 5;

        public int Seconds { get; private set; } = 5;

        public int Devices { get; private set; } = 1000;

        public string? Micro { get; private set; } = "*BatchIngestBenchmarks.ValidateInPlace*";

        public int MicroRounds { get; private set; } = 1;

        public double CpuThreshold { get; private set; } = 1.15;

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
                    case "--rounds": ok = int.TryParse(value, c, out int rounds) && rounds > 0; options.Rounds = rounds; break;
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

    internal readonly record struct LoadResult(double CpuMicrosPerBatch, double BytesPerBatch, double BatchesPerSecond, double P99Ms)
    {
        /// <summary>Reads the load generator's table (one column: --target convoy), by row name.</summary>
        public static LoadResult Parse(string output) => new(
            Row(output, "collector CPU us/batch"), Row(output, "allocated B/batch"), Row(output, "batches/s"), Row(output, "ack p99 ms"));

        private static double Row(string output, string name)
        {
            foreach (string line in output.Split('\n'))
            {
                if (line.StartsWith(name, StringComparison.Ordinal))
                {
                    string value = line[name.Length..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries)[0].Replace(",", "", StringComparison.Ordinal);
                    return double.Parse(value, CultureInfo.InvariantCulture);
                }
            }

            throw new ShellException($"the load generator printed no '{name}' row:\n{output}");
        }
    }

    internal readonly record struct MicroResult(string Name, double MedianNs, double BytesAllocated)
    {
        /// <summary>Every benchmark case in BenchmarkDotNet's JSON report(s) under <paramref name="artifacts"/>.</summary>
        public static List<MicroResult> Read(string artifacts)
        {
            var results = new List<MicroResult>();
            foreach (string file in Directory.EnumerateFiles(Path.Combine(artifacts, "results"), "*.json"))
            {
                using var report = JsonDocument.Parse(File.ReadAllText(file));
                foreach (var benchmark in report.RootElement.GetProperty("Benchmarks").EnumerateArray())
                {
                    string name = benchmark.GetProperty("Method").GetString() + benchmark.GetProperty("Parameters").GetString() switch
                    {
                        { Length: > 0 } parameters => $"({parameters})",
                        _ => "",
                    };
                    results.Add(new MicroResult(name, benchmark.GetProperty("Statistics").GetProperty("Median").GetDouble(),
                        benchmark.GetProperty("Memory").GetProperty("BytesAllocatedPerOperation").GetDouble()));
                }
            }

            if (results.Count == 0)
            {
                throw new ShellException($"BenchmarkDotNet wrote no results under {artifacts}: does the filter match a benchmark?");
            }

            return results;
        }
    }

    internal sealed class Metrics
    {
        private readonly List<(string Name, Rule Rule)> _names = [];
        private readonly Dictionary<(string Name, string Side), SortedDictionary<int, double>> _values = [];

        public void Add(string side, int round, string name, double value, Rule rule)
        {
            if (!_names.Exists(n => n.Name == name))
            {
                _names.Add((name, rule));
            }

            if (!_values.TryGetValue((name, side), out var rounds))
            {
                _values[(name, side)] = rounds = [];
            }

            rounds[round] = value;
        }

        public Report Compare(GateOptions options)
        {
            var rows = new List<Row>();
            foreach (var (name, rule) in _names)
            {
                var b = _values[(name, "base")];
                var h = _values[(name, "head")];
                // Each round's ratio is of two runs next to each other in time: the noise they share cancels.
                var ratios = b.Keys.Where(h.ContainsKey).Select(r => b[r] == 0 ? (h[r] == 0 ? 1 : double.PositiveInfinity) : h[r] / b[r]).Order().ToList();
                double baseMedian = Median([.. b.Values]), headMedian = Median([.. h.Values]);
                double ratio = Median(ratios);
                // A load metric regresses when it rose beyond its limit and the rounds say it is no
                // accident of the machine: head above base in nearly every pair of runs (Mann-Whitney).
                double p = Statistics.HeadHigherP([.. b.Values], [.. h.Values]);
                bool beyondNoise = p < Statistics.Alpha;
                bool regressed = rule switch
                {
                    Rule.Cpu => ratio > options.CpuThreshold && beyondNoise,
                    Rule.LoadAllocation => headMedian > baseMedian * options.AllocationTolerance && headMedian - baseMedian > options.AllocationBytes && beyondNoise,
                    Rule.MicroAllocation => headMedian > baseMedian,
                    _ => false,
                };
                string limit = rule switch
                {
                    Rule.Cpu => string.Create(CultureInfo.InvariantCulture, $"ratio ≤ {options.CpuThreshold:0.00}, or p ≥ {Statistics.Alpha} (p = {p:0.000})"),
                    Rule.LoadAllocation => string.Create(CultureInfo.InvariantCulture, $"≤ base × {options.AllocationTolerance:0.00} or + {options.AllocationBytes:0} B, or p ≥ {Statistics.Alpha} (p = {p:0.000})"),
                    Rule.MicroAllocation => "no increase",
                    _ => "shown only",
                };
                rows.Add(new Row(name, [.. b.Values], [.. h.Values], baseMedian, headMedian, ratio, ratios.Count == 0 ? double.NaN : ratios[0], ratios.Count == 0 ? double.NaN : ratios[^1], limit, regressed));
            }

            return new Report(rows);
        }

        private static double Median(List<double> values)
        {
            if (values.Count == 0)
            {
                return double.NaN;
            }

            values.Sort();
            int mid = values.Count / 2;
            return values.Count % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
        }
    }

    /// <summary>Whether one side's runs are higher than the other's beyond what the machine's noise explains.</summary>
    internal static class Statistics
    {
        /// <summary>One-sided: a regression must be that unlikely to arise from noise alone.</summary>
        public const double Alpha = 0.025;

        /// <summary>
        /// The exact one-sided Mann-Whitney p-value that <paramref name="head"/>'s values are not higher
        /// than <paramref name="base"/>'s: the share of all orderings of the pooled runs in which head
        /// is below base in at most as many pairs as observed. Needs no assumption about the noise's
        /// shape; with 5 rounds each, p &lt; 0.025 means head was higher in at least 23 of 25 pairs.
        /// </summary>
        public static double HeadHigherP(double[] @base, double[] head)
        {
            int m = @base.Length, n = head.Length;
            if (m == 0 || n == 0)
            {
                return 1;
            }

            double below = 0; // pairs in which head is below base; ties count half
            foreach (double b in @base)
            {
                foreach (double h in head)
                {
                    below += h < b ? 1 : h == b ? 0.5 : 0;
                }
            }

            // count[i, j, u]: orderings of i base and j head values with u head-below-base pairs.
            int most = m * n;
            var count = new double[m + 1, n + 1, most + 1];
            for (int i = 0; i <= m; i++)
            {
                for (int j = 0; j <= n; j++)
                {
                    for (int u = 0; u <= most; u++)
                    {
                        count[i, j, u] = i == 0 || j == 0
                            ? (u == 0 ? 1 : 0)
                            // The largest value is a base (every head value is below it) or a head (below no base).
                            : (u >= j ? count[i - 1, j, u - j] : 0) + count[i, j - 1, u];
                    }
                }
            }

            double total = 0, atMost = 0;
            for (int u = 0; u <= most; u++)
            {
                total += count[m, n, u];
                atMost += u <= Math.Floor(below) ? count[m, n, u] : 0;
            }

            return atMost / total;
        }
    }

    internal sealed record Row(string Name, double[] Base, double[] Head, double BaseMedian, double HeadMedian, double Ratio, double RatioMin, double RatioMax, string Limit, bool Regressed);

    internal sealed record Report(List<Row> Rows)
    {
        public bool Regressed => Rows.Exists(static r => r.Regressed);

        public string Markdown(GateOptions options, List<Side> sides, string machine)
        {
            var c = CultureInfo.InvariantCulture;
            var text = new StringBuilder();
            text.AppendLine(c, $"### {options.Base} ({sides[0].Commit[..10]}) → {options.Head} ({sides[1].Commit[..10]})");
            text.AppendLine();
            text.AppendLine(c, $"{machine}; {options.Rounds} load round(s) of {options.Devices} fleet devices for {options.Seconds} s, interleaved; micro-benchmarks: {options.Micro ?? "none"}");
            text.AppendLine();
            text.AppendLine("| metric | base (median) | head (median) | head/base | spread (rounds) | gate | verdict |");
            text.AppendLine("|---|---|---|---|---|---|---|");
            foreach (var row in Rows)
            {
                text.AppendLine(c, $"| {row.Name} | {row.BaseMedian:0.##} | {row.HeadMedian:0.##} | {row.Ratio:0.000} | {row.RatioMin:0.000}–{row.RatioMax:0.000} | {row.Limit} | {(row.Regressed ? "**REGRESSED**" : "ok")} |");
            }

            text.AppendLine();
            text.AppendLine(Regressed ? "**The gate failed**: a gated metric regressed beyond its limit." : "The gate passed: no gated metric regressed beyond its limit.");
            return text.ToString();
        }

        public string Json(GateOptions options, List<Side> sides, string machine) => JsonSerializer.Serialize(new
        {
            date = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            machine,
            @base = new { revision = options.Base, commit = sides[0].Commit },
            head = new { revision = options.Head, commit = sides[1].Commit },
            options.Rounds,
            options.Seconds,
            options.Devices,
            options.Micro,
            regressed = Regressed,
            metrics = Rows.Select(static r => new
            {
                name = r.Name,
                @base = r.Base,
                head = r.Head,
                baseMedian = r.BaseMedian,
                headMedian = r.HeadMedian,
                ratio = r.Ratio,
                ratioMin = r.RatioMin,
                ratioMax = r.RatioMax,
                gate = r.Limit,
                regressed = r.Regressed,
            }),
        }, Indented);

        private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };
    }

    internal static class Machine
    {
        public static string Describe()
        {
            string model = File.Exists("/proc/cpuinfo")
                ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(static l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU"
                : "unknown CPU";
            return $"{model}, {Environment.ProcessorCount} cores, {Load()}";
        }

        public static string Load() => File.Exists("/proc/loadavg") ? "load " + string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "load unknown";
    }

    internal sealed class ShellException(string message) : Exception(message);

    internal static class Shell
    {
        /// <summary>Runs a program in a folder and returns its output; throws with the output's tail when it fails.</summary>
        public static string Run(string program, string folder, params string[] arguments)
        {
            var start = new ProcessStartInfo(program) { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string argument in arguments)
            {
                start.ArgumentList.Add(argument);
            }

            using var process = Process.Start(start)!;
            var errors = process.StandardError.ReadToEndAsync();
            string output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                string tail = string.Join('\n', (output + errors.Result).Split('\n').TakeLast(40));
                throw new ShellException($"{program} {string.Join(' ', arguments)} (in {folder}) failed with exit code {process.ExitCode}:\n{tail}");
            }

            return output;
        }

        public static void TryRun(string program, string folder, params string[] arguments)
        {
            try
            {
                Run(program, folder, arguments);
            }
            catch (ShellException)
            {
                // Best effort.
            }
        }
    }
}
