using BenchmarkDotNet.Attributes;
using Convoy.Collector.Authentication;
using Convoy.Collector.Validation;
using Convoy.Contracts.Telemetry.V1;
using Convoy.Pki;
using Google.Protobuf;

namespace Convoy.Collector.Benchmarks;

/// <summary>
/// What the collector does to one batch before it goes to Kafka (read the columns in place and
/// validate them), against the straightforward path (parse into generated types, encode again
/// for the record) as the baseline in the same run, per batch size. Readings per batch =
/// 4 sensors x ReadingsPerSensor. Expect 0 bytes allocated for the in-place path.
/// </summary>
[MemoryDiagnoser]
public class BatchIngestBenchmarks
{
    private static readonly DeviceIdentity Device = new("acme", "truck-001");
    private static readonly AuthenticatedDevice Sender = new(Device);
    private readonly BatchValidator _validator = new(new CollectorOptions());
    private byte[] _payload = [];
    private long _nowMs;

    [Params(10, 100, 1000)]
    public int ReadingsPerSensor { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _nowMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var batch = BenchmarkBatches.Create(Device.Device, ReadingsPerSensor);
        _payload = batch.ToByteArray();
    }

    /// <summary>Baseline: generated types, and a fresh encoding for the Kafka record.</summary>
    [Benchmark(Baseline = true)]
    public int ParseAndReencode() => TelemetryBatch.Parser.ParseFrom(_payload).ToByteArray().Length;

    /// <summary>The collector: read the columns in place and validate; the record is the payload as received.</summary>
    [Benchmark]
    public int ValidateInPlace() => _validator.Validate(_payload, Sender, _nowMs, out _).Readings;
}
