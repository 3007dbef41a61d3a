namespace Convoy.Fuzz;

/// <summary>
/// One parser that reads bytes from outside, as afl-fuzz and the corpus tests drive it: each run
/// is independent of the one before, so a crash replays from its input alone.
/// </summary>
internal interface IFuzzTarget
{
    /// <summary>The name on the command line and of the corpus folder (tests/fuzz/corpus/NAME).</summary>
    string Name { get; }

    FuzzOutcome Run(ReadOnlySpan<byte> input);
}

/// <summary>Every target, by name.</summary>
internal static class FuzzTargets
{
    /// <summary>
    /// The clock every target reads batches and messages against: fixed, so that an input means
    /// the same on every run. The seeds are timed around it (2026-11-23 12:00 UTC).
    /// </summary>
    public const long NowUnixMs = 1_795_435_200_000;

    /// <summary>Every target's name.</summary>
    public static IReadOnlyList<string> Names { get; } = ["batch-reader", "batch-check", "nmea", "mqtt"];

    /// <summary>
    /// A new target of that name. Under afl-fuzz, call it only inside the fuzzing loop: the
    /// instrumented assemblies write coverage to memory SharpFuzz maps when the loop starts, so a
    /// parser's static initialiser run before it fails with an access violation.
    /// </summary>
    public static IFuzzTarget Create(string name) => name switch
    {
        "batch-reader" => new BatchReaderTarget(),
        "batch-check" => new BatchCheckTarget(),
        "nmea" => new NmeaStreamTarget(),
        "mqtt" => new SensorMessageTarget(),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, $"not a fuzz target; one of {string.Join(", ", Names)}"),
    };
}
