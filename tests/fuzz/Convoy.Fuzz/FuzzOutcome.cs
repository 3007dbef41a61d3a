namespace Convoy.Fuzz;

/// <summary>
/// What a fuzz target made of one input: <paramref name="Kind"/> names the path it took (a
/// refusal's reason, an MQTT outcome, "fixes"), <paramref name="Count"/> what it yielded (readings,
/// fixes), and <paramref name="Broken"/> the promise of the parser the input broke, or null. The
/// harness turns a broken promise into a crash for afl-fuzz; the corpus tests assert there is none.
/// </summary>
internal readonly record struct FuzzOutcome(string Kind, int Count, string? Broken = null)
{
    public static FuzzOutcome Breaks(string kind, string promise) => new(kind, 0, promise);
}

/// <summary>An input that broke a promise of the parser it went through (<see cref="FuzzOutcome.Broken"/>).</summary>
internal sealed class BrokenPromiseException(string message) : Exception(message);
