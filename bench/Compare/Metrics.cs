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
            var paired = Interleaving.Pair(b, h);
            double baseMedian = Median([.. b.Values]), headMedian = Median([.. h.Values]);
            // A load metric regresses when it rose beyond its limit and the rounds say it is no
            // accident of the machine: head above base in nearly every pair of runs (Mann-Whitney),
            // once the cost of running second in a round is taken out of every run.
            double p = Statistics.HeadHigherP(paired.Base, paired.Head);
            bool beyondNoise = p < Statistics.Alpha;
            bool regressed = rule switch
            {
                Rule.Cpu => paired.Ratio > options.CpuThreshold && beyondNoise,
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
            rows.Add(new Row(name, [.. b.Values], [.. h.Values], baseMedian, headMedian, paired.Ratio, paired.RatioMin, paired.RatioMax, paired.SecondRun, limit, regressed));
        }

        return new Report(rows);
    }

    internal static double Median(List<double> values)
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
