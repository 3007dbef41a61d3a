using System.Globalization;

namespace Convoy.BenchCompare;

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
