using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Convoy.AlertEngine.Kernels;

/// <summary>
/// Runs an <see cref="IPositionOp{TFence}"/> over a latitude and a longitude column of equal
/// length into a mask (<see cref="ViolationMask"/>): bit i set when position i matches. Same
/// stepping and invariants as <see cref="ThresholdKernel"/>, with half as many double lanes per
/// vector.
/// </summary>
internal static class PositionKernel
{
    public static void Run<TOp, TFence>(ReadOnlySpan<double> latitudesDeg, ReadOnlySpan<double> longitudesDeg, TFence fence, Span<ulong> mask, VectorWidth widest)
        where TOp : struct, IPositionOp<TFence>
    {
        int n = latitudesDeg.Length;
        ViolationMask.Check(n, longitudesDeg.Length, mask.Length);
        ref double lat = ref MemoryMarshal.GetReference(latitudesDeg);
        ref double lon = ref MemoryMarshal.GetReference(longitudesDeg);
        ref ulong dst = ref MemoryMarshal.GetReference(mask);
        int whole = n & ~63;
        int i = 0;

        if (widest >= VectorWidth.W512)
        {
            for (; i < whole; i += 64)
            {
                ulong word = 0;
                for (int k = 0; k < 64; k += 8)
                {
                    var match = TOp.Matches(Vector512.LoadUnsafe(ref lat, (nuint)(i + k)), Vector512.LoadUnsafe(ref lon, (nuint)(i + k)), fence);
                    word |= match.ExtractMostSignificantBits() << k;
                }

                Unsafe.Add(ref dst, i >> 6) = word;
            }
        }
        else if (widest == VectorWidth.W256)
        {
            for (; i < whole; i += 64)
            {
                ulong word = 0;
                for (int k = 0; k < 64; k += 4)
                {
                    var match = TOp.Matches(Vector256.LoadUnsafe(ref lat, (nuint)(i + k)), Vector256.LoadUnsafe(ref lon, (nuint)(i + k)), fence);
                    word |= (ulong)match.ExtractMostSignificantBits() << k;
                }

                Unsafe.Add(ref dst, i >> 6) = word;
            }
        }
        else if (widest == VectorWidth.W128)
        {
            for (; i < whole; i += 64)
            {
                ulong word = 0;
                for (int k = 0; k < 64; k += 2)
                {
                    var match = TOp.Matches(Vector128.LoadUnsafe(ref lat, (nuint)(i + k)), Vector128.LoadUnsafe(ref lon, (nuint)(i + k)), fence);
                    word |= (ulong)match.ExtractMostSignificantBits() << k;
                }

                Unsafe.Add(ref dst, i >> 6) = word;
            }
        }
        else
        {
            for (; i < whole; i += 64)
            {
                Unsafe.Add(ref dst, i >> 6) = LastWord<TOp, TFence>(ref lat, ref lon, i, i + 64, fence, VectorWidth.Scalar);
            }
        }

        if (i < n)
        {
            Unsafe.Add(ref dst, i >> 6) = LastWord<TOp, TFence>(ref lat, ref lon, i, n, fence, widest);
        }
    }

    /// <summary>The word of the positions from <paramref name="i"/> (a multiple of 64) to <paramref name="n"/> (at most 64 more).</summary>
    private static ulong LastWord<TOp, TFence>(ref double lat, ref double lon, int i, int n, TFence fence, VectorWidth widest)
        where TOp : struct, IPositionOp<TFence>
    {
        ulong word = 0;
        if (widest >= VectorWidth.W512)
        {
            for (; i + 8 <= n; i += 8)
            {
                word |= TOp.Matches(Vector512.LoadUnsafe(ref lat, (nuint)i), Vector512.LoadUnsafe(ref lon, (nuint)i), fence).ExtractMostSignificantBits() << (i & 63);
            }
        }

        if (widest >= VectorWidth.W256)
        {
            for (; i + 4 <= n; i += 4)
            {
                word |= (ulong)TOp.Matches(Vector256.LoadUnsafe(ref lat, (nuint)i), Vector256.LoadUnsafe(ref lon, (nuint)i), fence).ExtractMostSignificantBits() << (i & 63);
            }
        }

        if (widest >= VectorWidth.W128)
        {
            for (; i + 2 <= n; i += 2)
            {
                word |= (ulong)TOp.Matches(Vector128.LoadUnsafe(ref lat, (nuint)i), Vector128.LoadUnsafe(ref lon, (nuint)i), fence).ExtractMostSignificantBits() << (i & 63);
            }
        }

        for (; i < n; i++)
        {
            if (TOp.Matches(Unsafe.Add(ref lat, i), Unsafe.Add(ref lon, i), fence))
            {
                word |= 1UL << (i & 63);
            }
        }

        return word;
    }
}
