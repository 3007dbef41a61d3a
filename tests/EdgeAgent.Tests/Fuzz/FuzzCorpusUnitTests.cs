using Convoy.Fuzz;

namespace Convoy.EdgeAgent.Tests.Fuzz;

/// <summary>
/// The fuzz corpus as regression tests: every kept input of tests/fuzz/corpus/TARGET (the seeds,
/// what afl-fuzz found that reaches new code, and every crash or hang it ever found, kept as
/// crash-* and hang-*) goes through the same target afl-fuzz drives (tests/fuzz/Convoy.Fuzz), and
/// must keep that parser's promises. They live here because the agent runs all four parsers: the
/// NMEA decoder, the MQTT payload parser, and the batch reader and content check before its buffer.
/// </summary>
public sealed class FuzzCorpusUnitTests
{
    public static TheoryData<string, string> KeptInputs()
    {
        var inputs = new TheoryData<string, string>();
        foreach (string target in FuzzTargets.Names)
        {
            foreach (string file in Directory.GetFiles(Corpus(target)).Order(StringComparer.Ordinal))
            {
                inputs.Add(target, Path.GetFileName(file));
            }
        }

        return inputs;
    }

    [Theory]
    [MemberData(nameof(KeptInputs))]
    public void KeptInput_KeepsItsParsersPromises(string target, string input)
    {
        var outcome = FuzzTargets.Create(target).Run(File.ReadAllBytes(Path.Combine(Corpus(target), input)));

        Assert.Null(outcome.Broken);
        Assert.False(string.IsNullOrWhiteSpace(outcome.Kind));
        Assert.True(outcome.Count >= 0);
    }

    /// <summary>The corpus reaches each parser's accepting path, not only its refusals.</summary>
    [Theory]
    [InlineData("batch-reader", "read")]
    [InlineData("batch-check", "valid")]
    [InlineData("nmea", "fixes")]
    [InlineData("mqtt", "Accepted")]
    public void Corpus_HoldsInputsTheParserAccepts(string target, string accepted)
    {
        var outcomes = Directory.GetFiles(Corpus(target)).Select(file => FuzzTargets.Create(target).Run(File.ReadAllBytes(file))).ToList();

        Assert.Contains(outcomes, outcome => outcome.Kind == accepted && outcome.Count > 0);
    }

    /// <summary>The batch seeds reach the content check's refusals too, each with its reason.</summary>
    [Fact]
    public void BatchCheckCorpus_ReachesRefusalsWithTheirReasons()
    {
        var target = FuzzTargets.Create("batch-check");
        var kinds = Directory.GetFiles(Corpus("batch-check")).Select(file => target.Run(File.ReadAllBytes(file)).Kind).ToHashSet();

        Assert.Superset(new HashSet<string> { "valid", "out-of-range", "unequal-columns", "duplicate-zone", "empty" }, kinds);
    }

    private static string Corpus(string target) => Repository.PathOf("tests", "fuzz", "corpus", target);
}
