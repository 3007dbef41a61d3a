using System.Runtime.InteropServices;

namespace Convoy.Kafka.Embedded;

/// <summary>
/// The few librdkafka C functions the embedded cluster needs. They are exported by the same
/// native library Confluent.Kafka loads (package librdkafka.redist); see rdkafka_mock.h.
/// </summary>
internal static partial class MockClusterNative
{
    private const string Library = Native.LibrdkafkaLibrary.Name;

    static MockClusterNative() => Native.LibrdkafkaLibrary.EnsureResolver();

    internal const int ProducerType = 0; // RD_KAFKA_PRODUCER
    internal const int ConfOk = 0;       // RD_KAFKA_CONF_OK

    [LibraryImport(Library, EntryPoint = "rd_kafka_conf_new")]
    internal static partial nint ConfNew();

    [LibraryImport(Library, EntryPoint = "rd_kafka_conf_destroy")]
    internal static partial void ConfDestroy(nint conf);

    [LibraryImport(Library, EntryPoint = "rd_kafka_conf_set", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int ConfSet(nint conf, string name, string value, byte[] errstr, nuint errstrSize);

    [LibraryImport(Library, EntryPoint = "rd_kafka_new")]
    internal static partial nint KafkaNew(int type, nint conf, byte[] errstr, nuint errstrSize);

    [LibraryImport(Library, EntryPoint = "rd_kafka_destroy")]
    internal static partial void KafkaDestroy(nint rk);

    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_cluster_new")]
    internal static partial nint ClusterNew(nint rk, int brokerCount);

    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_cluster_destroy")]
    internal static partial void ClusterDestroy(nint cluster);

    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_cluster_bootstraps")]
    internal static partial nint ClusterBootstraps(nint cluster);

    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_topic_create", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int TopicCreate(nint cluster, string topic, int partitionCount, int replicationFactor);

    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_broker_set_down")]
    internal static partial int BrokerSetDown(nint cluster, int brokerId);

    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_broker_set_up")]
    internal static partial int BrokerSetUp(nint cluster, int brokerId);

    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_push_request_errors_array")]
    internal static partial void PushRequestErrors(nint cluster, short apiKey, nuint count, int[] errors);

    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_clear_request_errors")]
    internal static partial void ClearRequestErrors(nint cluster, short apiKey);

    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_group_initial_rebalance_delay_ms")]
    internal static partial void GroupInitialRebalanceDelayMs(nint cluster, int delayMs);

    internal static string ErrorText(byte[] errstr)
    {
        int end = Array.IndexOf(errstr, (byte)0);
        return System.Text.Encoding.UTF8.GetString(errstr, 0, end < 0 ? errstr.Length : end);
    }
}
