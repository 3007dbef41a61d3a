using System.Globalization;

namespace Convoy.BenchCompare;

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
