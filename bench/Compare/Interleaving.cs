namespace Convoy.BenchCompare;

/// <summary>
/// The order in which a round runs the two sides, and what that order does to the comparison.
/// </summary>
/// <remarks>
/// On a shared machine the run second in a round measures differently from the first (measured:
/// about 10 % more CPU per batch, whichever side it is; the first run follows a run of its own side
/// or a build, the second one a run of the other side). With the order alternating from round to
/// round and an even number of rounds, each side runs second equally often, so the effect cancels
/// out of a pair of rounds: the ratio is taken over pairs of rounds (the geometric mean of their two
/// head/base ratios), and the effect, estimated from all rounds, is divided out of each run before
/// the rank test, so that it adds no spread there.
/// </remarks>
internal static class Interleaving
{
    /// <summary>In odd rounds base runs first and head second; in even rounds the other way round.</summary>
    public static bool HeadRunsSecond(int round) => round % 2 == 1;

    /// <summary>
    /// Head/base per pair of rounds (the median and spread of <see cref="Paired.Ratio"/>), the
    /// position effect (the run second in a round over the first, geometric mean) and each side's
    /// values with that effect divided out. A metric without whole pairs of positive values (a
    /// micro-benchmark run in one round, a count that can be 0) is compared round by round as it is.
    /// </summary>
    public static Paired Pair(SortedDictionary<int, double> @base, SortedDictionary<int, double> head)
    {
        var rounds = @base.Keys.Where(head.ContainsKey).ToList();
        var ratios = rounds.Select(r => @base[r] == 0 ? (head[r] == 0 ? 1 : double.PositiveInfinity) : head[r] / @base[r]).ToList();
        bool balanced = rounds.Count >= 2 && rounds.Count % 2 == 0
            && rounds.Where(HeadRunsSecond).Count() == rounds.Count / 2
            && rounds.All(r => @base[r] > 0 && head[r] > 0);
        if (!balanced)
        {
            var sorted = ratios.Order().ToList();
            return new Paired(Metrics.Median(sorted), sorted.Count == 0 ? double.NaN : sorted[0], sorted.Count == 0 ? double.NaN : sorted[^1],
                double.NaN, [.. @base.Values], [.. head.Values]);
        }

        // log(second / first) of a round is +log(ratio) when head ran second, -log(ratio) when it ran first.
        double position = Math.Exp(rounds.Select((r, i) => (HeadRunsSecond(r) ? 1 : -1) * Math.Log(ratios[i])).Average());
        var pairs = new List<double>();
        for (int i = 0; i + 1 < rounds.Count; i += 2)
        {
            pairs.Add(Math.Sqrt(ratios[i] * ratios[i + 1]));
        }

        pairs.Sort();
        double half = Math.Sqrt(position);
        double[] Corrected(SortedDictionary<int, double> values, bool isHead) =>
            [.. rounds.Select(r => HeadRunsSecond(r) == isHead ? values[r] / half : values[r] * half)];
        return new Paired(Metrics.Median(pairs), pairs[0], pairs[^1], position, Corrected(@base, isHead: false), Corrected(head, isHead: true));
    }
}

/// <param name="Ratio">Median head/base over pairs of rounds (over rounds when not balanced).</param>
/// <param name="RatioMin">The lowest of those ratios.</param>
/// <param name="RatioMax">The highest.</param>
/// <param name="SecondRun">The run second in a round over the first, geometric mean; NaN when not balanced.</param>
/// <param name="Base">Base's values, the position effect divided out (as measured when not balanced).</param>
/// <param name="Head">Head's values, likewise.</param>
internal sealed record Paired(double Ratio, double RatioMin, double RatioMax, double SecondRun, double[] Base, double[] Head);
