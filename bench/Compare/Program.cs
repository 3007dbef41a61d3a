using System.Diagnostics;
using System.Globalization;
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
        // Interleaved: the order alternates, so a machine getting busier or quieter hits both sides
        // alike, and each side runs second in half of the rounds (see Interleaving).
        var order = Interleaving.HeadRunsSecond(round) ? sides : [sides[1], sides[0]];
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
