using BenchmarkDotNet.Attributes;
using Convoy.AlertEngine.Kernels;

namespace Convoy.AlertEngine.Benchmarks;

/// <summary>
/// The float-above kernel (reefer too warm) per column length, against its scalar reference in
/// the same run: the production kernel at the machine's widest width and capped at 256 and 128
/// bits, and the two hand-written forms of <see cref="AboveForms"/> (fixed Vector256 loop,
/// portable Vector&lt;T&gt;). Columns are realistic reefer readings around the threshold, so
/// the scalar reference pays for unpredictable branches as it would in production.
/// </summary>
[MemoryDiagnoser]
public class ThresholdBenchmarks
{
    private const float Threshold = 8f;
    private float[] _values = [];
    private ulong[] _mask = [];

    [Params(64, 1024, 65536)]
    public int Readings { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(7);
        _values = new float[Readings];
        for (int i = 0; i < _values.Length; i++)
        {
            _values[i] = 6f + (float)(random.NextDouble() * 4);
        }

        _mask = new ulong[ViolationMask.WordsFor(Readings)];
        var expected = new ulong[_mask.Length];
        ScalarKernels.Above(_values, Threshold, expected);
        Verify(expected, m => VectorKernels.Above(_values, Threshold, m));
        Verify(expected, m => VectorKernels.Above(_values, Threshold, m, VectorWidth.W256));
        Verify(expected, m => VectorKernels.Above(_values, Threshold, m, VectorWidth.W128));
        Verify(expected, m => AboveForms.Vector256Loop(_values, Threshold, m));
        Verify(expected, m => AboveForms.VectorTLoop(_values, Threshold, m));
    }

    [Benchmark(Baseline = true)]
    public void Scalar() => ScalarKernels.Above(_values, Threshold, _mask);

    /// <summary>Production dispatch: Vector512 where accelerated.</summary>
    [Benchmark]
    public void Kernel() => VectorKernels.Above(_values, Threshold, _mask);

    [Benchmark]
    public void Kernel256() => VectorKernels.Above(_values, Threshold, _mask, VectorWidth.W256);

    [Benchmark]
    public void Kernel128() => VectorKernels.Above(_values, Threshold, _mask, VectorWidth.W128);

    [Benchmark]
    public void FixedVector256Loop() => AboveForms.Vector256Loop(_values, Threshold, _mask);

    [Benchmark]
    public void PortableVectorTLoop() => AboveForms.VectorTLoop(_values, Threshold, _mask);

    private static void Verify(ulong[] expected, Action<ulong[]> kernel)
    {
        var actual = new ulong[expected.Length];
        kernel(actual);
        if (!expected.AsSpan().SequenceEqual(actual))
        {
            throw new InvalidOperationException("A kernel form disagrees with the scalar reference; its timing would mean nothing.");
        }
    }
}
