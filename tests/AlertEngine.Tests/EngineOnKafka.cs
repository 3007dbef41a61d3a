using System.Buffers.Binary;
using System.Text;
using Confluent.Kafka;
using Convoy.Contracts;
using Convoy.Contracts.Alerts.V1;
using Convoy.Contracts.Telemetry.V1;
using Convoy.Kafka.Embedded;
using Google.Protobuf;

namespace Convoy.AlertEngine.Tests;

/// <summary>What the tests that run the real engine on the embedded Kafka share: writing telemetry as the collector does, reading alerts back, waiting.</summary>
internal static class EngineOnKafka
{
    /// <summary>How long a test waits for the engine on Kafka to do something (a consumer group join takes seconds on a busy machine).</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    /// <summary>Writes <paramref name="batch"/> (its sequence set to <paramref name="sequence"/>) to the tenant's telemetry topic with the collector's headers.</summary>
    public static async Task SendAsync(IProducer<string, byte[]> producer, string tenant, ulong sequence, TelemetryBatch batch)
    {
        batch.Sequence = sequence;
        var header = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(header, sequence);
        await producer.ProduceAsync(TelemetryRecordHeaders.TelemetryTopic(tenant), new Message<string, byte[]>
        {
            Key = batch.DeviceId,
            Value = batch.ToByteArray(),
            Headers = new Headers
            {
                { TelemetryRecordHeaders.Tenant, Encoding.UTF8.GetBytes(tenant) },
                { TelemetryRecordHeaders.Device, Encoding.UTF8.GetBytes(batch.DeviceId) },
                { TelemetryRecordHeaders.Sequence, header },
            },
        });
    }
}

/// <summary>
/// The embedded Kafka an engine test runs on: consumer groups that join at once (not after the
/// broker's default 3 s of waiting for more members), the tenants' telemetry and alert topics, and
/// a producer that writes telemetry as the collector does.
/// </summary>
internal sealed class EngineKafka : IDisposable
{
    /// <summary>Each of <paramref name="tenants"/> gets its telemetry topic and, with <paramref name="alertTopics"/>, its alert topic, of <paramref name="partitions"/> each.</summary>
    public EngineKafka(int partitions, bool alertTopics, params string[] tenants)
    {
        Cluster = EmbeddedKafkaCluster.Start();
        Cluster.SetGroupInitialRebalanceDelay(TimeSpan.Zero);
        foreach (string tenant in tenants)
        {
            Cluster.CreateTopic(TelemetryRecordHeaders.TelemetryTopic(tenant), partitions);
            if (alertTopics)
            {
                Cluster.CreateTopic(TelemetryRecordHeaders.AlertTopic(tenant), partitions);
            }
        }

        Producer = new ProducerBuilder<string, byte[]>(new ProducerConfig { BootstrapServers = Cluster.BootstrapServers }).Build();
    }

    public EmbeddedKafkaCluster Cluster { get; }

    public string BootstrapServers => Cluster.BootstrapServers;

    public IProducer<string, byte[]> Producer { get; }

    /// <summary>Writes <paramref name="batch"/> to the tenant's telemetry topic as the collector does (<see cref="EngineOnKafka.SendAsync"/>).</summary>
    public Task SendAsync(string tenant, ulong sequence, TelemetryBatch batch) => EngineOnKafka.SendAsync(Producer, tenant, sequence, batch);

    /// <summary>Every alert in the tenant's alert topic now.</summary>
    public List<Alert> Alerts(string tenant) => KafkaTopics.Alerts(BootstrapServers, tenant);

    public void Dispose()
    {
        Producer.Dispose();
        Cluster.Dispose();
    }
}
