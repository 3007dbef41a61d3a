using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Convoy.AlertEngine.Kernels;

namespace Convoy.AlertEngine.Benchmarks;

/// <summary>
/// The geofence kernels per column length, each against its scalar reference in the same run
/// (one baseline per category): a circle, and a 200-vertex polygon (a port or depot outline)
/// that the positions of a truck driving through it half fill.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class FenceBenchmarks
{
    private const int PolygonVertices = 200;
    private readonly CircleFence _circle = new(51.95, 4.10, 0.05);
    private PolygonFence _polygon = null!;
    private double[] _lat = [];
    private double[] _lon = [];
    private ulong[] _mask = [];

    [Params(64, 1024, 65536)]
    public int Readings { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(11);
        _lat = new double[Readings];
        _lon = new double[Readings];
        for (int i = 0; i < Readings; i++)
        {
            _lat[i] = 51.95 + ((random.NextDouble() - 0.5) * 0.15);
            _lon[i] = 4.10 + ((random.NextDouble() - 0.5) * 0.25);
        }

        var polygonLat = new double[PolygonVertices];
        var polygonLon = new double[PolygonVertices];
        for (int i = 0; i < PolygonVertices; i++)
        {
            double angle = 2 * Math.PI * i / PolygonVertices;
            double radius = 0.05 * (1 + (0.3 * Math.Sin(7 * angle)));
            polygonLat[i] = 51.95 + (radius * Math.Sin(angle));
            polygonLon[i] = 4.10 + (radius * 1.6 * Math.Cos(angle));
        }

        _polygon = new PolygonFence(polygonLat, polygonLon);
        _mask = new ulong[ViolationMask.WordsFor(Readings)];

        var expected = new ulong[_mask.Length];
        var actual = new ulong[_mask.Length];
        ScalarKernels.InsideCircle(_lat, _lon, _circle, expected);
        VectorKernels.InsideCircle(_lat, _lon, _circle, actual);
        bool circleAgrees = expected.AsSpan().SequenceEqual(actual);
        ScalarKernels.InsidePolygon(_lat, _lon, _polygon, expected);
        VectorKernels.InsidePolygon(_lat, _lon, _polygon, actual);
        if (!circleAgrees || !expected.AsSpan().SequenceEqual(actual))
        {
            throw new InvalidOperationException("A fence kernel disagrees with its scalar reference; its timing would mean nothing.");
        }
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Circle")]
    public void CircleScalar() => ScalarKernels.InsideCircle(_lat, _lon, _circle, _mask);

    [Benchmark]
    [BenchmarkCategory("Circle")]
    public void CircleKernel() => VectorKernels.InsideCircle(_lat, _lon, _circle, _mask);

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Polygon")]
    public void PolygonScalar() => ScalarKernels.InsidePolygon(_lat, _lon, _polygon, _mask);

    [Benchmark]
    [BenchmarkCategory("Polygon")]
    public void PolygonKernel() => VectorKernels.InsidePolygon(_lat, _lon, _polygon, _mask);
}
