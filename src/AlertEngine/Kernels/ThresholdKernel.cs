using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Convoy.AlertEngine.Kernels;

/// <summary>
/// Runs an <see cref="IThresholdOp"/> over a whole float column into a violation mask
/// (<see cref="ViolationMask"/>). Whole 64-reading words are built at the widest width and stored
/// once; the last partial word steps down 512 → 256 → 128 → scalar. What must stay true: every
/// vector load stays inside the column (a full vector only where one fits), and a group of lanes
/// never straddles a mask word, because every step starts at a multiple of its own lane count.
/// </summary>
internal static class ThresholdKernel
{
    public static void Run<TOp>(ReadOnlySpan<float> values, float lower, float upper, Span<ulong> mask, VectorWidth widest)
        where TOp : struct, IThresholdOp
    {
        int n = values.Length;
        ViolationMask.Check(n, mask.Length);
        ref float src = ref MemoryMarshal.GetReference(values);
        ref ulong dst = ref MemoryMarshal.GetReference(mask);
        int whole = n & ~63;
        int i = 0;

        if (widest >= VectorWidth.W512)
        {
            var lo = Vector512.Create(lower);
            var hi = Vector512.Create(upper);
            for (; i < whole; i += 64)
            {
                ulong word = TOp.Violates(Vector512.LoadUnsafe(ref src, (nuint)i), lo, hi).ExtractMostSignificantBits()
                    | (TOp.Violates(Vector512.LoadUnsafe(ref src, (nuint)(i + 16)), lo, hi).ExtractMostSignificantBits() << 16)
                    | (TOp.Violates(Vector512.LoadUnsafe(ref src, (nuint)(i + 32)), lo, hi).ExtractMostSignificantBits() << 32)
                    | (TOp.Violates(Vector512.LoadUnsafe(ref src, (nuint)(i + 48)), lo, hi).ExtractMostSignificantBits() << 48);
                Unsafe.Add(ref dst, i >> 6) = word;
            }
        }
        else if (widest == VectorWidth.W256)
        {
            var lo = Vector256.Create(lower);
            var hi = Vector256.Create(upper);
            for (; i < whole; i += 64)
            {
                ulong word = 0;
                for (int k = 0; k < 64; k += 8)
                {
                    word |= (ulong)TOp.Violates(Vector256.LoadUnsafe(ref src, (nuint)(i + k)), lo, hi).ExtractMostSignificantBits() << k;
                }

                Unsafe.Add(ref dst, i >> 6) = word;
            }
        }
        else if (widest == VectorWidth.W128)
        {
            var lo = Vector128.Create(lower);
            var hi = Vector128.Create(upper);
            for (; i < whole; i += 64)
            {
                ulong word = 0;
                for (int k = 0; k < 64; k += 4)
                {
                    word |= (ulong)TOp.Violates(Vector128.LoadUnsafe(ref src, (nuint)(i + k)), lo, hi).ExtractMostSignificantBits() << k;
                }

                Unsafe.Add(ref dst, i >> 6) = word;
            }
        }
        else
        {
            for (; i < whole; i += 64)
            {
                Unsafe.Add(ref dst, i >> 6) = LastWord<TOp>(ref src, i, i + 64, lower, upper, VectorWidth.Scalar);
            }
        }

        if (i < n)
        {
            Unsafe.Add(ref dst, i >> 6) = LastWord<TOp>(ref src, i, n, lower, upper, widest);
        }
    }

    /// <summary>The word of the readings from <paramref name="i"/> (a multiple of 64) to <paramref name="n"/> (at most 64 more).</summary>
    private static ulong LastWord<TOp>(ref float src, int i, int n, float lower, float upper, VectorWidth widest)
        where TOp : struct, IThresholdOp
    {
        ulong word = 0;
        if (widest >= VectorWidth.W512)
        {
            for (; i + 16 <= n; i += 16)
            {
                word |= TOp.Violates(Vector512.LoadUnsafe(ref src, (nuint)i), Vector512.Create(lower), Vector512.Create(upper)).ExtractMostSignificantBits() << (i & 63);
            }
        }

        if (widest >= VectorWidth.W256)
        {
            for (; i + 8 <= n; i += 8)
            {
                word |= (ulong)TOp.Violates(Vector256.LoadUnsafe(ref src, (nuint)i), Vector256.Create(lower), Vector256.Create(upper)).ExtractMostSignificantBits() << (i & 63);
            }
        }

        if (widest >= VectorWidth.W128)
        {
            for (; i + 4 <= n; i += 4)
            {
                word |= (ulong)TOp.Violates(Vector128.LoadUnsafe(ref src, (nuint)i), Vector128.Create(lower), Vector128.Create(upper)).ExtractMostSignificantBits() << (i & 63);
            }
        }

        for (; i < n; i++)
        {
            if (TOp.Violates(Unsafe.Add(ref src, i), lower, upper))
            {
                word |= 1UL << (i & 63);
            }
        }

        return word;
    }
}
