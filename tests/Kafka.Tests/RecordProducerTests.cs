using System.Collections.Concurrent;
using System.Text;
using Confluent.Kafka;
using Convoy.Kafka.Embedded;
using Convoy.Kafka.Native;
using Microsoft.Extensions.Logging.Abstractions;

namespace Convoy.Kafka.Tests;

/// <summary>The collector's C-API producer: records land exactly as given, every record is reported once, and producing allocates nothing.</summary>
public sealed class RecordProducerTests : IDisposable
{
    private static readonly RecordHeaderName Sequence = new("convoy-sequence");
    private static readonly RecordHeaderName Tenant = new("convoy-tenant");
    private readonly EmbeddedKafkaCluster _cluster = EmbeddedKafkaCluster.Start();
    private readonly Reports _reports = new();

    public void Dispose() => _cluster.Dispose();

    [Fact]
    public unsafe void Produce_RecordsLandWithKeyValueHeadersAndTimestamp_AndEachIsReportedOnce()
    {
        string topic = "records-" + Guid.NewGuid().ToString("N");
        _cluster.CreateTopic(topic, partitions: 2);
        using var producer = Producer();
        byte[] tenant = Encoding.UTF8.GetBytes("acme");
        Span<byte> sequence = stackalloc byte[8];
        for (long i = 1; i <= 50; i++)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(sequence, i);
            fixed (byte* s = sequence, t = tenant)
            {
                ReadOnlySpan<RecordHeader> headers = [new RecordHeader(Tenant, t, tenant.Length), new RecordHeader(Sequence, s, 8)];
                var queued = producer.Produce(topic, Encoding.UTF8.GetBytes($"truck-{i % 3}"), Encoding.UTF8.GetBytes($"batch-{i}"), 1_700_000_000_000 + i, headers, _reports, i);
                Assert.Equal(ErrorCode.NoError, queued);
            }
        }

        Assert.True(producer.Flush(TimeSpan.FromSeconds(20)));
        Assert.Equal(Enumerable.Range(1, 50).Select(i => (long)i), _reports.Outcomes.Keys.Order());
        Assert.All(_reports.Outcomes.Values, o => Assert.Equal([ErrorCode.NoError], o));
        Assert.Equal(0, producer.InFlight);
        var records = ReadAll(topic, 50);
        Assert.Equal(50, records.Count);
        foreach (var record in records)
        {
            long i = System.Buffers.Binary.BinaryPrimitives.ReadInt64BigEndian(record.Message.Headers.GetLastBytes("convoy-sequence"));
            Assert.Equal($"truck-{i % 3}", record.Message.Key);
            Assert.Equal($"batch-{i}", Encoding.UTF8.GetString(record.Message.Value));
            Assert.Equal("acme", Encoding.UTF8.GetString(record.Message.Headers.GetLastBytes("convoy-tenant")));
            Assert.Equal(1_700_000_000_000 + i, record.Message.Timestamp.UnixTimestampMs);
        }

        // One device's records stay in order in their partition.
        foreach (var device in records.GroupBy(r => r.Message.Key))
        {
            var sequences = device.Select(r => System.Buffers.Binary.BinaryPrimitives.ReadInt64BigEndian(r.Message.Headers.GetLastBytes("convoy-sequence"))).ToList();
            Assert.Equal(sequences.Order(), sequences);
        }
    }

    [Fact]
    public void Produce_AfterWarmUp_AllocatesNothingPerRecord()
    {
        string topic = "alloc-" + Guid.NewGuid().ToString("N");
        _cluster.CreateTopic(topic, partitions: 1);
        using var producer = Producer();
        byte[] key = Encoding.UTF8.GetBytes("truck-1");
        byte[] value = new byte[4000];
        ProduceMany(producer, topic, key, value, 0, 200); // topic handle, slot table, JIT
        Assert.True(producer.Flush(TimeSpan.FromSeconds(20)));

        long before = GC.GetAllocatedBytesForCurrentThread();
        ProduceMany(producer, topic, key, value, 200, 1000);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.True(producer.Flush(TimeSpan.FromSeconds(20)));
        Assert.Equal(1200, _reports.Outcomes.Count);
    }

    [Fact]
    public async Task Produce_BrokerDown_EachRecordIsReportedOnceWithTheError()
    {
        string topic = "down-" + Guid.NewGuid().ToString("N");
        _cluster.CreateTopic(topic, partitions: 1);
        using var producer = Producer(("message.timeout.ms", "2000"));
        _cluster.SetBrokerDown();
        ProduceMany(producer, topic, "truck-1"u8.ToArray(), new byte[100], 0, 5);

        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (_reports.Outcomes.Count < 5 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.Equal(5, _reports.Outcomes.Count);
        Assert.All(_reports.Outcomes.Values, o => Assert.Equal(ErrorCode.Local_MsgTimedOut, Assert.Single(o)));
    }

    [Fact]
    public void New_WithAnUnknownSetting_SaysWhich()
    {
        var error = Assert.Throws<ArgumentException>(() => new RecordProducer(
            [new("bootstrap.servers", _cluster.BootstrapServers), new("no.such.setting", "1")], NullLogger.Instance));

        Assert.Contains("no.such.setting", error.Message, StringComparison.Ordinal);
    }

    private void ProduceMany(RecordProducer producer, string topic, byte[] key, byte[] value, long first, int count)
    {
        for (long i = first; i < first + count; i++)
        {
            // Not Assert.Equal: xunit's comparer allocates, and this loop is measured.
            if (producer.Produce(topic, key, value, 0, [], _reports, i) != ErrorCode.NoError)
            {
                Assert.Fail($"record {i} was not queued");
            }
        }
    }

    private RecordProducer Producer(params (string Name, string Value)[] extra) => new(
        [
            new("bootstrap.servers", _cluster.BootstrapServers),
            new("acks", "all"),
            new("enable.idempotence", "true"),
            new("linger.ms", "5"),
            .. extra.Select(e => new KeyValuePair<string, string>(e.Name, e.Value)),
        ], NullLogger.Instance);

    private List<ConsumeResult<string, byte[]>> ReadAll(string topic, int expected)
    {
        using var consumer = new ConsumerBuilder<string, byte[]>(new ConsumerConfig
        {
            BootstrapServers = _cluster.BootstrapServers,
            GroupId = "read-" + Guid.NewGuid().ToString("N"),
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
        }).Build();
        consumer.Subscribe(topic);
        var records = new List<ConsumeResult<string, byte[]>>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (records.Count < expected && DateTime.UtcNow < deadline)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { IsPartitionEOF: false } record)
            {
                records.Add(record);
            }
        }

        return records;
    }

    private sealed class Reports : IRecordDeliveryHandler
    {
        public ConcurrentDictionary<long, List<ErrorCode>> Outcomes { get; } = new();

        public void OnDelivery(long token, ErrorCode outcome) => Outcomes.AddOrUpdate(token, _ => [outcome], (_, list) =>
        {
            list.Add(outcome);
            return list;
        });
    }
}
