using BenchmarkDotNet.Attributes;
using Confluent.Kafka;
using Convoy.Collector.Authentication;
using Convoy.Collector.Kafka;
using Convoy.Contracts;
using Convoy.Contracts.Telemetry.V1;
using Convoy.Kafka;
using Convoy.Kafka.Embedded;
using Convoy.Kafka.Native;
using Convoy.Pki;
using Google.Protobuf;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Convoy.Collector.Benchmarks;

/// <summary>
/// Building the Kafka record for a validated batch and handing it to the producer, until Kafka
/// (the embedded cluster in this process) confirmed it: the collector's path (the received bytes
/// as the value, identity headers from stack memory, librdkafka's C API copying them, a delivery
/// report with no object per record) against the straightforward one (the batch's generated
/// type encoded again into a fresh array, a Confluent.Kafka Message with Headers, a delivery
/// callback). Same producer settings for both (Convoy's: acks=all, idempotence, lz4, linger 5 ms).
/// Each operation is one record; an invocation writes <see cref="RecordsPerInvoke"/> and waits for
/// all of them. Allocation counts every thread (the delivery threads too).
/// </summary>
[MemoryDiagnoser]
public class RecordBuildingBenchmarks : IRecordDeliveryHandler
{
    private const int RecordsPerInvoke = 1000;
    private const string Topic = "telemetry.acme";
    private static readonly AuthenticatedDevice Sender = new(new DeviceIdentity("acme", "truck-001"));
    private EmbeddedKafkaCluster? _kafka;
    private KafkaCluster? _cluster;
    private TelemetryProducer? _convoy;
    private IProducer<string, byte[]>? _reference;
    private TelemetryBatch _parsed = new();
    private byte[] _payload = [];
    private ulong _sequence;
    private long _failed;

    [Params(10, 1000)]
    public int ReadingsPerSensor { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _kafka = EmbeddedKafkaCluster.Start();
        _kafka.CreateTopic(Topic, partitions: 4);
        _cluster = new KafkaCluster(Options.Create(new KafkaOptions { CreateTopics = false }), NullLogger<KafkaCluster>.Instance, _kafka);
        _convoy = new TelemetryProducer(_cluster, NullLogger<TelemetryProducer>.Instance);
        _reference = new ProducerBuilder<string, byte[]>(_cluster.CreateProducerConfig("reference")).Build();
        _parsed = BenchmarkBatches.Create(Sender.Identity.Device, ReadingsPerSensor);
        _payload = _parsed.ToByteArray();
    }

    /// <summary>Baseline: encode the generated type into a fresh array, a Message with Headers, Produce with a callback.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = RecordsPerInvoke)]
    public void GeneratedTypesAndMessage()
    {
        for (int i = 0; i < RecordsPerInvoke; i++)
        {
            ulong sequence = ++_sequence;
            var headers = new Headers
            {
                { TelemetryRecordHeaders.Tenant, System.Text.Encoding.UTF8.GetBytes(Sender.Identity.Tenant) },
                { TelemetryRecordHeaders.Device, System.Text.Encoding.UTF8.GetBytes(Sender.Identity.Device) },
                { TelemetryRecordHeaders.Sequence, BitConverter.GetBytes(sequence) },
                { TelemetryRecordHeaders.Schema, System.Text.Encoding.UTF8.GetBytes(TelemetryRecordHeaders.SchemaTelemetryV1) },
                { TelemetryRecordHeaders.ReceivedAt, BitConverter.GetBytes(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()) },
            };
            _reference!.Produce(Topic, new Message<string, byte[]> { Key = Sender.Identity.Device, Value = _parsed.ToByteArray(), Headers = headers }, OnReferenceDelivery);
        }

        _reference!.Flush(TimeSpan.FromSeconds(30));
    }

    /// <summary>The collector: the received bytes as they are, headers on the stack, librdkafka's C API.</summary>
    [Benchmark(OperationsPerInvoke = RecordsPerInvoke)]
    public void ReceivedBytesAndNativeProducer()
    {
        for (int i = 0; i < RecordsPerInvoke; i++)
        {
            _convoy!.Produce(Topic, Sender, ++_sequence, _payload, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), this, 0);
        }

        _convoy!.Flush(TimeSpan.FromSeconds(30));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        if (Interlocked.Read(ref _failed) > 0)
        {
            throw new InvalidOperationException($"{_failed} records were not delivered: the figures are not valid");
        }

        _reference?.Dispose();
        _convoy?.Dispose();
        _cluster?.Dispose();
        _kafka?.Dispose();
    }

    void IRecordDeliveryHandler.OnDelivery(long token, ErrorCode outcome)
    {
        if (outcome != ErrorCode.NoError)
        {
            Interlocked.Increment(ref _failed);
        }
    }

    private void OnReferenceDelivery(DeliveryReport<string, byte[]> report)
    {
        if (report.Error.IsError)
        {
            Interlocked.Increment(ref _failed);
        }
    }
}
