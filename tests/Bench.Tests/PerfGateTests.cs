using Convoy.BenchCompare;

namespace Convoy.Bench.Tests;

public sealed class PerfGateTests
{
    private static readonly GateOptions Gate = GateOptions.Parse(["base", "head", "--cpu-threshold", "1.15"], out _)!;

    [Fact]
    public void UnchangedCommit_WithTheSecondRunOfEveryRoundCostingMore_IsNotARegression()
    {
        // Both sides cost 250 µs; whichever runs second in a round measures 12 % more. With an odd
        // number of rounds head ran second more often and looked 12 % worse; paired rounds cancel it.
        var metrics = Load(rounds: 6, baseCost: 250, headCost: 250, secondRun: 1.12);

        var row = metrics.Compare(Gate).Rows.Single();

        Assert.Equal(1.0, row.Ratio, precision: 6);
        Assert.Equal(1.12, row.SecondRun, precision: 6);
        Assert.False(row.Regressed);
    }

    [Fact]
    public void TwentyPercentMoreCpu_WithTheSameSecondRunCost_IsARegression()
    {
        var metrics = Load(rounds: 6, baseCost: 250, headCost: 300, secondRun: 1.12);

        var row = metrics.Compare(Gate).Rows.Single();

        Assert.Equal(1.2, row.Ratio, precision: 6);
        Assert.True(row.Regressed, row.Limit);
    }

    [Fact]
    public void TwentyPercentMoreCpu_HiddenInNoiseTwiceAsLarge_IsNotFailedOn()
    {
        // Head is dearer, but the rounds disagree: base's runs spread from 200 to 400 µs.
        var metrics = new Metrics();
        double[] @base = [200, 400, 220, 380, 240, 360];
        double[] head = [380, 250, 400, 230, 420, 240];
        for (int round = 1; round <= 6; round++)
        {
            metrics.Add("base", round, Cpu, @base[round - 1], Rule.Cpu);
            metrics.Add("head", round, Cpu, head[round - 1], Rule.Cpu);
        }

        var row = metrics.Compare(Gate).Rows.Single();

        Assert.False(row.Regressed, row.Limit);
    }

    [Fact]
    public void MicroBenchmarkRunOnce_IsComparedAsMeasured()
    {
        var metrics = new Metrics();
        metrics.Add("base", 1, "micro: B allocated", 0, Rule.MicroAllocation);
        metrics.Add("head", 1, "micro: B allocated", 520, Rule.MicroAllocation);

        var row = metrics.Compare(Gate).Rows.Single();

        Assert.True(double.IsPositiveInfinity(row.Ratio));
        Assert.True(double.IsNaN(row.SecondRun));
        Assert.True(row.Regressed);
    }

    [Theory]
    [InlineData(4, 1.0 / 70)] // every one of 16 pairs higher: 1 of C(8,4) orderings
    [InlineData(5, 1.0 / 252)]
    [InlineData(6, 1.0 / 924)]
    public void HeadHigherInEveryPair_HasTheExactMannWhitneyP(int runs, double expected)
    {
        double[] @base = [.. Enumerable.Range(0, runs).Select(i => 100.0 + i)];
        double[] head = [.. Enumerable.Range(0, runs).Select(i => 200.0 + i)];

        Assert.Equal(expected, Statistics.HeadHigherP(@base, head), precision: 12);
        Assert.True(Statistics.HeadHigherP(@base, @base) >= 0.5); // the same runs on both sides: nowhere near a regression
    }

    [Theory]
    [InlineData("5")]
    [InlineData("0")]
    [InlineData("six")]
    public void OddOrNoRounds_AreRefusedWithTheUsage(string rounds)
    {
        Assert.Null(GateOptions.Parse(["base", "head", "--rounds", rounds], out string? error));
        Assert.Contains($"--rounds {rounds} is not a valid value", error, StringComparison.Ordinal);
        Assert.Contains("even", error, StringComparison.Ordinal);
    }

    private const string Cpu = "load: collector CPU µs per batch";

    private static Metrics Load(int rounds, double baseCost, double headCost, double secondRun)
    {
        var metrics = new Metrics();
        for (int round = 1; round <= rounds; round++)
        {
            bool headSecond = Interleaving.HeadRunsSecond(round);
            double drift = 1 + (0.03 * round); // the machine getting busier over the run
            metrics.Add("base", round, Cpu, baseCost * drift * (headSecond ? 1 : secondRun), Rule.Cpu);
            metrics.Add("head", round, Cpu, headCost * drift * (headSecond ? secondRun : 1), Rule.Cpu);
        }

        return metrics;
    }
}
