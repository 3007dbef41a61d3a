using System.Diagnostics.CodeAnalysis;

namespace Convoy.AlertEngine.Kernels;

/// <summary>
/// The layout every kernel writes: bit <c>i % 64</c> of word <c>i / 64</c> is set when reading
/// <c>i</c> matches (violates, or is inside). A kernel over <c>n</c> readings writes exactly
/// <see cref="WordsFor"/>(n) words, leaves any further words of the caller's span untouched, and
/// always writes the bits past <c>n</c> in the last word as zero.
/// </summary>
internal static class ViolationMask
{
    public static int WordsFor(int readings) => (int)(((uint)readings + 63u) >> 6);

    public static bool IsSet(ReadOnlySpan<ulong> mask, int index) => ((mask[index >> 6] >> (index & 63)) & 1UL) != 0;

    /// <summary>Checks a kernel's arguments once, before the hot loop, without growing its body.</summary>
    public static void Check(int readings, int maskWords)
    {
        if (maskWords < WordsFor(readings))
        {
            ThrowMaskTooShort(readings, maskWords);
        }
    }

    public static void Check(int latitudes, int longitudes, int maskWords)
    {
        if (latitudes != longitudes)
        {
            ThrowColumnsDiffer(latitudes, longitudes);
        }

        Check(latitudes, maskWords);
    }

    /// <summary>An offsets column and its values column: equal lengths, and a mask long enough.</summary>
    public static void CheckColumns(int offsets, int values, int maskWords)
    {
        if (offsets != values)
        {
            ThrowOffsetsDiffer(offsets, values);
        }

        Check(values, maskWords);
    }

    [DoesNotReturn]
    private static void ThrowOffsetsDiffer(int offsets, int values) =>
        throw new ArgumentException($"The offsets column has {offsets} entries and the values column {values}.");

    [DoesNotReturn]
    private static void ThrowMaskTooShort(int readings, int maskWords) =>
        throw new ArgumentException($"The mask has {maskWords} words; {readings} readings need {WordsFor(readings)}.");

    [DoesNotReturn]
    private static void ThrowColumnsDiffer(int latitudes, int longitudes) =>
        throw new ArgumentException($"The latitude column has {latitudes} readings and the longitude column {longitudes}.");
}
