using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Convoy.AlertEngine.Kernels;

/// <summary>
/// Runs an <see cref="IRateOp"/> over the consecutive pairs of a column into a mask
/// (<see cref="ViolationMask"/>): bit i (i &gt;= 1) is the op on reading i against reading i - 1;
/// bit 0 is always clear (its previous reading is in another batch: the rule decides it in
/// scalar). The interval is the difference of the two <c>fixed32</c> offsets taken as a signed
/// int, then converted to float (exact below 2^24 ms, about 4.6 hours, and correctly rounded above;
/// a difference past int.MaxValue is negative, so it has no rate, in every path alike).
/// Same stepping and invariants as <see cref="ThresholdKernel"/>: whole words at the widest width,
/// each group of lanes starting at a multiple of its own lane count; only the first 16 readings
/// of the first word go through scalar, since reading 0 has no predecessor to load.
/// </summary>
internal static class RateKernel
{
    public static void Run<TOp>(ReadOnlySpan<uint> offsetsMs, ReadOnlySpan<float> values, float perMinute, Span<ulong> mask, VectorWidth widest)
        where TOp : struct, IRateOp
    {
        int n = values.Length;
        ViolationMask.CheckColumns(offsetsMs.Length, n, mask.Length);
        if (n == 0)
        {
            return;
        }

        ref float v = ref MemoryMarshal.GetReference(values);
        ref uint t = ref MemoryMarshal.GetReference(offsetsMs);
        ref ulong dst = ref MemoryMarshal.GetReference(mask);

        // First word: readings 1..15 in scalar (reading 0 has no predecessor here), then the stepping.
        int head = Math.Min(n, 16);
        ulong first = 0;
        for (int i = 1; i < head; i++)
        {
            if (Pair<TOp>(ref v, ref t, i, perMinute))
            {
                first |= 1UL << i;
            }
        }

        int end = Math.Min(n, 64);
        dst = first | Word<TOp>(ref v, ref t, head, end, perMinute, widest);
        int w = 64;
        int whole = n & ~63;

        if (widest >= VectorWidth.W512)
        {
            var rate = Vector512.Create(perMinute);
            for (; w < whole; w += 64)
            {
                ulong word = 0;
                for (int k = 0; k < 64; k += 16)
                {
                    word |= TOp.Matches(Dv512(ref v, w + k), Dt512(ref t, w + k), rate).ExtractMostSignificantBits() << k;
                }

                Unsafe.Add(ref dst, w >> 6) = word;
            }
        }
        else if (widest == VectorWidth.W256)
        {
            var rate = Vector256.Create(perMinute);
            for (; w < whole; w += 64)
            {
                ulong word = 0;
                for (int k = 0; k < 64; k += 8)
                {
                    word |= (ulong)TOp.Matches(Dv256(ref v, w + k), Dt256(ref t, w + k), rate).ExtractMostSignificantBits() << k;
                }

                Unsafe.Add(ref dst, w >> 6) = word;
            }
        }
        else if (widest == VectorWidth.W128)
        {
            var rate = Vector128.Create(perMinute);
            for (; w < whole; w += 64)
            {
                ulong word = 0;
                for (int k = 0; k < 64; k += 4)
                {
                    word |= (ulong)TOp.Matches(Dv128(ref v, w + k), Dt128(ref t, w + k), rate).ExtractMostSignificantBits() << k;
                }

                Unsafe.Add(ref dst, w >> 6) = word;
            }
        }
        else
        {
            for (; w < whole; w += 64)
            {
                Unsafe.Add(ref dst, w >> 6) = Word<TOp>(ref v, ref t, w, w + 64, perMinute, VectorWidth.Scalar);
            }
        }

        if (w < n)
        {
            Unsafe.Add(ref dst, w >> 6) = Word<TOp>(ref v, ref t, w, n, perMinute, widest);
        }
    }

    /// <summary>The bits of pairs [<paramref name="i"/>, <paramref name="n"/>) of one word; <paramref name="i"/> &gt;= 1 and a multiple of 16 (or of the word's start) so every width's lanes stay aligned.</summary>
    private static ulong Word<TOp>(ref float v, ref uint t, int i, int n, float perMinute, VectorWidth widest)
        where TOp : struct, IRateOp
    {
        ulong word = 0;
        if (widest >= VectorWidth.W512)
        {
            for (; i + 16 <= n; i += 16)
            {
                word |= TOp.Matches(Dv512(ref v, i), Dt512(ref t, i), Vector512.Create(perMinute)).ExtractMostSignificantBits() << (i & 63);
            }
        }

        if (widest >= VectorWidth.W256)
        {
            for (; i + 8 <= n; i += 8)
            {
                word |= (ulong)TOp.Matches(Dv256(ref v, i), Dt256(ref t, i), Vector256.Create(perMinute)).ExtractMostSignificantBits() << (i & 63);
            }
        }

        if (widest >= VectorWidth.W128)
        {
            for (; i + 4 <= n; i += 4)
            {
                word |= (ulong)TOp.Matches(Dv128(ref v, i), Dt128(ref t, i), Vector128.Create(perMinute)).ExtractMostSignificantBits() << (i & 63);
            }
        }

        for (; i < n; i++)
        {
            if (Pair<TOp>(ref v, ref t, i, perMinute))
            {
                word |= 1UL << (i & 63);
            }
        }

        return word;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Pair<TOp>(ref float v, ref uint t, int i, float perMinute)
        where TOp : struct, IRateOp =>
        TOp.Matches(Unsafe.Add(ref v, i) - Unsafe.Add(ref v, i - 1), (float)(int)(Unsafe.Add(ref t, i) - Unsafe.Add(ref t, i - 1)), perMinute);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Dv128(ref float v, int i) => Vector128.LoadUnsafe(ref v, (nuint)i) - Vector128.LoadUnsafe(ref v, (nuint)(i - 1));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Dt128(ref uint t, int i) =>
        Vector128.ConvertToSingle((Vector128.LoadUnsafe(ref t, (nuint)i) - Vector128.LoadUnsafe(ref t, (nuint)(i - 1))).AsInt32());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Dv256(ref float v, int i) => Vector256.LoadUnsafe(ref v, (nuint)i) - Vector256.LoadUnsafe(ref v, (nuint)(i - 1));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Dt256(ref uint t, int i) =>
        Vector256.ConvertToSingle((Vector256.LoadUnsafe(ref t, (nuint)i) - Vector256.LoadUnsafe(ref t, (nuint)(i - 1))).AsInt32());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Dv512(ref float v, int i) => Vector512.LoadUnsafe(ref v, (nuint)i) - Vector512.LoadUnsafe(ref v, (nuint)(i - 1));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Dt512(ref uint t, int i) =>
        Vector512.ConvertToSingle((Vector512.LoadUnsafe(ref t, (nuint)i) - Vector512.LoadUnsafe(ref t, (nuint)(i - 1))).AsInt32());
}
