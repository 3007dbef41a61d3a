using System.Text.Json;

namespace Convoy.BenchCompare;

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
