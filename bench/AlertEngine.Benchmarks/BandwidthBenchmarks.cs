using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using BenchmarkDotNet.Attributes;
using Convoy.AlertEngine.Kernels;

namespace Convoy.AlertEngine.Benchmarks;

/// <summary>
/// The threshold (above) and range (outside) kernels against the machine's memory bandwidth,
/// measured in the same run: the baseline is a plain streaming sum over the same float column
/// (the fastest anything can read those bytes), so <c>Ratio</c> is the inverse of the fraction
/// of bandwidth a kernel reaches. Columns of 256 KiB (inside L2) and 64 MiB (twice this
/// machine's 32 MiB L3, so every pass streams from DRAM). The scalar references run beside them,
/// so the vector-vs-scalar ratio is in the same table.
/// </summary>
[MemoryDiagnoser]
public class BandwidthBenchmarks
{
    private const float Threshold = 8f;
    private const float Min = 2f;
    private const float Max = 8f;
    private float[] _values = [];
    private ulong[] _mask = [];

    /// <summary>Column size in bytes (floats × 4).</summary>
    [Params(256 * 1024, 64 * 1024 * 1024)]
    public int Bytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(7);
        _values = new float[Bytes / sizeof(float)];
        for (int i = 0; i < _values.Length; i++)
        {
            _values[i] = 1f + (float)(random.NextDouble() * 8.5);
        }

        _mask = new ulong[ViolationMask.WordsFor(_values.Length)];
        var expected = new ulong[_mask.Length];
        ScalarKernels.Above(_values, Threshold, expected);
        VectorKernels.Above(_values, Threshold, _mask);
        Check(expected, "above");
        ScalarKernels.Outside(_values, Min, Max, expected);
        VectorKernels.Outside(_values, Min, Max, _mask);
        Check(expected, "outside");
        Console.WriteLine($"// widest accelerated vector: {VectorWidths.Widest}");
    }

    /// <summary>Reads every byte once, at the widest width, with four independent accumulators so the adds never wait on each other.</summary>
    [Benchmark(Baseline = true)]
    public float StreamingSum() => Sum(_values);

    [Benchmark]
    public void Above() => VectorKernels.Above(_values, Threshold, _mask);

    [Benchmark]
    public void Outside() => VectorKernels.Outside(_values, Min, Max, _mask);

    [Benchmark]
    public void AboveScalar() => ScalarKernels.Above(_values, Threshold, _mask);

    [Benchmark]
    public void OutsideScalar() => ScalarKernels.Outside(_values, Min, Max, _mask);

    private void Check(ulong[] expected, string kernel)
    {
        if (!expected.AsSpan().SequenceEqual(_mask))
        {
            throw new InvalidOperationException($"The {kernel} kernel disagrees with its scalar reference; its timing would mean nothing.");
        }
    }

    private static float Sum(ReadOnlySpan<float> values)
    {
        ref float src = ref MemoryMarshal.GetReference(values);
        int n = values.Length;
        int i = 0;
        float total = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> a = default, b = default, c = default, d = default;
            for (; i + 64 <= n; i += 64)
            {
                a += Vector512.LoadUnsafe(ref src, (nuint)i);
                b += Vector512.LoadUnsafe(ref src, (nuint)(i + 16));
                c += Vector512.LoadUnsafe(ref src, (nuint)(i + 32));
                d += Vector512.LoadUnsafe(ref src, (nuint)(i + 48));
            }

            total = Vector512.Sum(a + b + c + d);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> a = default, b = default, c = default, d = default;
            for (; i + 32 <= n; i += 32)
            {
                a += Vector256.LoadUnsafe(ref src, (nuint)i);
                b += Vector256.LoadUnsafe(ref src, (nuint)(i + 8));
                c += Vector256.LoadUnsafe(ref src, (nuint)(i + 16));
                d += Vector256.LoadUnsafe(ref src, (nuint)(i + 24));
            }

            total = Vector256.Sum(a + b + c + d);
        }

        for (; i < n; i++)
        {
            total += Unsafe.Add(ref src, i);
        }

        return total;
    }
}
