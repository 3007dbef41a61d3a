using System.Runtime.InteropServices;
using Confluent.Kafka;

namespace Convoy.Kafka.Embedded;

/// <summary>
/// librdkafka's own mock cluster, started in this process: real Kafka protocol on loopback TCP,
/// data in memory only. Any Kafka client talks to <see cref="BootstrapServers"/> as to a broker.
/// It is for development, tests and the demo, never a production store: it loses everything when
/// the process exits, and librdkafka drops a partition's oldest record batches beyond 5 MB or
/// 100,000 batches, so readers must read while writers write.
/// </summary>
public sealed class EmbeddedKafkaCluster : IDisposable
{
    private readonly Lock _gate = new();
    private nint _handle;  // rd_kafka_t that owns the cluster's bookkeeping
    private nint _cluster; // rd_kafka_mock_cluster_t

    private EmbeddedKafkaCluster(nint handle, nint cluster, int brokerCount, string bootstrapServers)
    {
        _handle = handle;
        _cluster = cluster;
        BrokerCount = brokerCount;
        BootstrapServers = bootstrapServers;
    }

    /// <summary>Comma-separated host:port list of the brokers, all on 127.0.0.1.</summary>
    public string BootstrapServers { get; }

    /// <summary>Number of brokers; their ids are 1..BrokerCount.</summary>
    public int BrokerCount { get; }

    /// <summary>Starts a cluster of <paramref name="brokerCount"/> brokers on loopback ports chosen by the OS.</summary>
    public static EmbeddedKafkaCluster Start(int brokerCount = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(brokerCount, 1);
        var errstr = new byte[512];
        nint conf = MockClusterNative.ConfNew();
        // The handle only hosts the cluster; keep its own log quiet (errors only).
        Set(conf, "log_level", "3", errstr);
        Set(conf, "client.id", "convoy-embedded-kafka", errstr);
        nint handle = MockClusterNative.KafkaNew(MockClusterNative.ProducerType, conf, errstr, (nuint)errstr.Length);
        if (handle == 0)
        {
            MockClusterNative.ConfDestroy(conf);
            throw new InvalidOperationException("librdkafka could not create the handle for the embedded cluster: " + MockClusterNative.ErrorText(errstr));
        }

        nint cluster = MockClusterNative.ClusterNew(handle, brokerCount);
        if (cluster == 0)
        {
            MockClusterNative.KafkaDestroy(handle);
            throw new InvalidOperationException("librdkafka could not start its mock cluster.");
        }

        string bootstrap = Marshal.PtrToStringUTF8(MockClusterNative.ClusterBootstraps(cluster))
            ?? throw new InvalidOperationException("The mock cluster reported no bootstrap servers.");
        return new EmbeddedKafkaCluster(handle, cluster, brokerCount, bootstrap);
    }

    /// <summary>
    /// Creates a topic. Returns false when it already exists. (The mock broker does not implement
    /// the CreateTopics request, so topics of the embedded cluster are created here.)
    /// </summary>
    public bool CreateTopic(string topic, int partitions, int replicationFactor = 1)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        replicationFactor = Math.Clamp(replicationFactor, 1, BrokerCount);
        var error = (ErrorCode)MockClusterNative.TopicCreate(Cluster(), topic, partitions, replicationFactor);
        return error switch
        {
            ErrorCode.NoError => true,
            ErrorCode.TopicAlreadyExists => false,
            _ => throw new KafkaException(error),
        };
    }

    /// <summary>Disconnects a broker and refuses new connections to it; -1 means every broker.</summary>
    public void SetBrokerDown(int brokerId = -1) => Check((ErrorCode)MockClusterNative.BrokerSetDown(Cluster(), brokerId));

    /// <summary>Lets a broker accept connections again; -1 means every broker.</summary>
    public void SetBrokerUp(int brokerId = -1) => Check((ErrorCode)MockClusterNative.BrokerSetUp(Cluster(), brokerId));

    /// <summary>
    /// Makes the next <c>errors.Length</c> requests of type <paramref name="api"/> fail with the given
    /// errors, in order. <see cref="ErrorCode.Local_Transport"/> makes the broker drop the connection.
    /// </summary>
    public void PushRequestErrors(KafkaApiKey api, params ErrorCode[] errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        var codes = new int[errors.Length];
        for (int i = 0; i < errors.Length; i++)
        {
            codes[i] = (int)errors[i];
        }

        MockClusterNative.PushRequestErrors(Cluster(), (short)api, (nuint)codes.Length, codes);
    }

    /// <summary>Forgets errors pushed for <paramref name="api"/> that no request consumed yet.</summary>
    public void ClearRequestErrors(KafkaApiKey api) => MockClusterNative.ClearRequestErrors(Cluster(), (short)api);

    /// <summary>
    /// The broker's group.initial.rebalance.delay.ms (3 s by default in the mock): how long a new
    /// consumer group waits for more members before its first assignment.
    /// </summary>
    public void SetGroupInitialRebalanceDelay(TimeSpan delay) =>
        MockClusterNative.GroupInitialRebalanceDelayMs(Cluster(), checked((int)delay.TotalMilliseconds));

    public void Dispose()
    {
        lock (_gate)
        {
            if (_cluster != 0)
            {
                MockClusterNative.ClusterDestroy(_cluster);
                _cluster = 0;
            }

            if (_handle != 0)
            {
                MockClusterNative.KafkaDestroy(_handle);
                _handle = 0;
            }
        }
    }

    private nint Cluster()
    {
        nint cluster = _cluster;
        ObjectDisposedException.ThrowIf(cluster == 0, this);
        return cluster;
    }

    private static void Set(nint conf, string name, string value, byte[] errstr)
    {
        if (MockClusterNative.ConfSet(conf, name, value, errstr, (nuint)errstr.Length) != MockClusterNative.ConfOk)
        {
            MockClusterNative.ConfDestroy(conf);
            throw new InvalidOperationException($"librdkafka refused {name}={value}: {MockClusterNative.ErrorText(errstr)}");
        }
    }

    private static void Check(ErrorCode error)
    {
        if (error != ErrorCode.NoError)
        {
            throw new KafkaException(error);
        }
    }
}
