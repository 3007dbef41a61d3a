using BenchmarkDotNet.Attributes;
using Convoy.AlertEngine.Kernels;

namespace Convoy.AlertEngine.Benchmarks;

/// <summary>
/// The rate-of-change kernel ("temperature rising faster than 0.5 degC/min") per column length,
/// against its scalar reference in the same run: production dispatch at the machine's widest
/// width and capped at 256 and 128 bits. Readings every 10 s drifting around a slow rise, so the
/// verdict changes often and the scalar reference pays for its branches as in production.
/// </summary>
[MemoryDiagnoser]
public class RateBenchmarks
{
    private const float PerMinute = 0.5f;
    private uint[] _offsets = [];
    private float[] _values = [];
    private ulong[] _mask = [];

    [Params(64, 1024, 65536)]
    public int Readings { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(11);
        _offsets = new uint[Readings];
        _values = new float[Readings];
        float level = 4f;
        for (int i = 0; i < Readings; i++)
        {
            _offsets[i] = (uint)i * 10_000u;
            level += (float)((random.NextDouble() - 0.45) * 0.3);
            _values[i] = level;
        }

        _mask = new ulong[ViolationMask.WordsFor(Readings)];
        var expected = new ulong[_mask.Length];
        ScalarKernels.RiseAbove(_offsets, _values, PerMinute, expected);
        foreach (var width in new[] { VectorWidths.Widest, VectorWidth.W256, VectorWidth.W128 })
        {
            VectorKernels.RiseAbove(_offsets, _values, PerMinute, _mask, width);
            if (!_mask.AsSpan().SequenceEqual(expected))
            {
                throw new InvalidOperationException($"The {width} rate kernel disagrees with the scalar reference.");
            }
        }
    }

    [Benchmark(Baseline = true)]
    public void Scalar() => ScalarKernels.RiseAbove(_offsets, _values, PerMinute, _mask);

    [Benchmark]
    public void Kernel() => VectorKernels.RiseAbove(_offsets, _values, PerMinute, _mask);

    [Benchmark]
    public void Kernel256() => VectorKernels.RiseAbove(_offsets, _values, PerMinute, _mask, VectorWidth.W256);

    [Benchmark]
    public void Kernel128() => VectorKernels.RiseAbove(_offsets, _values, PerMinute, _mask, VectorWidth.W128);
}
