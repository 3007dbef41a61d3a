using System.Runtime.InteropServices;

namespace Convoy.Kafka.Native;

/// <summary>The librdkafka C functions <see cref="RecordProducer"/> calls (rdkafka.h, 2.x).</summary>
internal static unsafe partial class ProducerNative
{
    private const string Library = LibrdkafkaLibrary.Name;

    static ProducerNative() => LibrdkafkaLibrary.EnsureResolver();

    public const int ProducerType = 0;  // RD_KAFKA_PRODUCER
    public const int ConfOk = 0;        // RD_KAFKA_CONF_OK
    public const int MsgFlagCopy = 0x2; // RD_KAFKA_MSG_F_COPY: librdkafka copies the payload during the call

    // rd_kafka_vtype_t
    public const int VTypeEnd = 0;
    public const int VTypeRkt = 2;
    public const int VTypeValue = 4;
    public const int VTypeKey = 5;
    public const int VTypeOpaque = 6;
    public const int VTypeMsgFlags = 7;
    public const int VTypeTimestamp = 8;
    public const int VTypeHeader = 9;

    /// <summary>
    /// Why librdkafka refuses <paramref name="name"/>=<paramref name="value"/> (an unknown name, a
    /// value out of range), in its own words; null when it takes it. Nothing is connected.
    /// </summary>
    public static string? Refuses(string name, string value)
    {
        nint conf = ConfNew();
        try
        {
            const int Size = 512;
            byte* errors = stackalloc byte[Size];
            errors[0] = 0;
            return ConfSet(conf, name, value, errors, Size) == 0 ? null : System.Runtime.InteropServices.Marshal.PtrToStringUTF8((nint)errors);
        }
        finally
        {
            ConfDestroy(conf);
        }
    }

    [LibraryImport(Library, EntryPoint = "rd_kafka_conf_new")]
    public static partial nint ConfNew();

    [LibraryImport(Library, EntryPoint = "rd_kafka_conf_destroy")]
    public static partial void ConfDestroy(nint conf);

    [LibraryImport(Library, EntryPoint = "rd_kafka_conf_set", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int ConfSet(nint conf, string name, string value, byte* errstr, nuint errstrSize);

    [LibraryImport(Library, EntryPoint = "rd_kafka_conf_set_opaque")]
    public static partial void ConfSetOpaque(nint conf, nint opaque);

    [LibraryImport(Library, EntryPoint = "rd_kafka_conf_set_dr_msg_cb")]
    public static partial void ConfSetDeliveryCallback(nint conf, delegate* unmanaged<nint, Message*, nint, void> callback);

    [LibraryImport(Library, EntryPoint = "rd_kafka_conf_set_error_cb")]
    public static partial void ConfSetErrorCallback(nint conf, delegate* unmanaged<nint, int, byte*, nint, void> callback);

    [LibraryImport(Library, EntryPoint = "rd_kafka_conf_set_log_cb")]
    public static partial void ConfSetLogCallback(nint conf, delegate* unmanaged<nint, int, byte*, byte*, void> callback);

    [LibraryImport(Library, EntryPoint = "rd_kafka_new")]
    public static partial nint KafkaNew(int type, nint conf, byte* errstr, nuint errstrSize);

    [LibraryImport(Library, EntryPoint = "rd_kafka_destroy")]
    public static partial void KafkaDestroy(nint rk);

    [LibraryImport(Library, EntryPoint = "rd_kafka_opaque")]
    public static partial nint Opaque(nint rk);

    [LibraryImport(Library, EntryPoint = "rd_kafka_topic_new", StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint TopicNew(nint rk, string topic, nint topicConf);

    [LibraryImport(Library, EntryPoint = "rd_kafka_topic_destroy")]
    public static partial void TopicDestroy(nint rkt);

    [LibraryImport(Library, EntryPoint = "rd_kafka_produceva")]
    public static partial nint ProduceVa(nint rk, VarUnion* values, nuint count);

    [LibraryImport(Library, EntryPoint = "rd_kafka_error_code")]
    public static partial int ErrorCode(nint error);

    [LibraryImport(Library, EntryPoint = "rd_kafka_error_destroy")]
    public static partial void ErrorDestroy(nint error);

    [LibraryImport(Library, EntryPoint = "rd_kafka_poll")]
    public static partial int Poll(nint rk, int timeoutMs);

    [LibraryImport(Library, EntryPoint = "rd_kafka_flush")]
    public static partial int Flush(nint rk, int timeoutMs);

    [LibraryImport(Library, EntryPoint = "rd_kafka_outq_len")]
    public static partial int OutQueueLength(nint rk);

    /// <summary>rd_kafka_message_t, as far as a delivery report needs it.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Message
    {
        public int Error;
        public nint Topic;
        public int Partition;
        public nint Payload;
        public nuint Length;
        public nint Key;
        public nuint KeyLength;
        public long Offset;
        public nint Private; // the msg_opaque given to produce
    }

    /// <summary>rd_kafka_vu_t: a type tag and a 64-byte union.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 72)]
    public struct VarUnion
    {
        [FieldOffset(0)] public int Type;
        [FieldOffset(8)] public nint Pointer;   // rkt, mem.ptr, header.name, ptr
        [FieldOffset(8)] public long Int64;     // i64
        [FieldOffset(8)] public int Int32;      // i
        [FieldOffset(16)] public nint Size;     // mem.size, header.val
        [FieldOffset(24)] public nint Size2;    // header.size
    }
}
