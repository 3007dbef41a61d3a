using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Convoy.AlertEngine.Benchmarks;

/// <summary>
/// Two more ways to write the float-above kernel, for the comparison the design asks for: an
/// explicit fixed-width <see cref="Vector256{T}"/> loop (the shape that regressed on .NET 10 on
/// AVX-512 hardware, dotnet/runtime#126250) and the portable <see cref="Vector{T}"/> form, whose
/// width the runtime picks. Both have the production kernel's structure (one store per 64-reading
/// mask word, scalar tail), so only the vector type differs. The benchmark checks both against the
/// scalar reference before it measures.
/// </summary>
internal static class AboveForms
{
    public static void Vector256Loop(ReadOnlySpan<float> values, float threshold, Span<ulong> mask)
    {
        int n = values.Length;
        ref float src = ref MemoryMarshal.GetReference(values);
        var t = Vector256.Create(threshold);
        int i = 0;
        for (; i + 64 <= n; i += 64)
        {
            ulong word = 0;
            for (int k = 0; k < 64; k += 8)
            {
                word |= (ulong)Vector256.GreaterThan(Vector256.LoadUnsafe(ref src, (nuint)(i + k)), t).ExtractMostSignificantBits() << k;
            }

            mask[i >> 6] = word;
        }

        if (i < n)
        {
            mask[i >> 6] = ScalarTail(ref src, i, n, threshold);
        }
    }

    public static void VectorTLoop(ReadOnlySpan<float> values, float threshold, Span<ulong> mask)
    {
        int n = values.Length;
        var t = new Vector<float>(threshold);
        int lanes = Vector<float>.Count;
        int i = 0;
        for (; i + 64 <= n; i += 64)
        {
            ulong word = 0;
            for (int k = 0; k < 64; k += lanes)
            {
                var above = Vector.GreaterThan(new Vector<float>(values.Slice(i + k, lanes)), t);
                word |= MostSignificantBits(above) << k;
            }

            mask[i >> 6] = word;
        }

        if (i < n)
        {
            mask[i >> 6] = ScalarTail(ref MemoryMarshal.GetReference(values), i, n, threshold);
        }
    }

    /// <summary>
    /// <see cref="Vector{T}"/> has no bit extraction of its own; <c>Count</c> is a JIT-time
    /// constant, so this folds to the one matching instruction sequence.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong MostSignificantBits(Vector<int> lanes) => Vector<int>.Count switch
    {
        16 => lanes.AsVector512().ExtractMostSignificantBits(),
        8 => lanes.AsVector256().ExtractMostSignificantBits(),
        _ => lanes.AsVector128().ExtractMostSignificantBits(),
    };

    private static ulong ScalarTail(ref float src, int i, int n, float threshold)
    {
        ulong word = 0;
        for (; i < n; i++)
        {
            if (Unsafe.Add(ref src, i) > threshold)
            {
                word |= 1UL << (i & 63);
            }
        }

        return word;
    }
}
