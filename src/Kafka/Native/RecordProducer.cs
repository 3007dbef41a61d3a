using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace Convoy.Kafka.Native;

/// <summary>
/// An idempotent Kafka producer over librdkafka's C API, for the collector's hot path. Why not
/// Confluent.Kafka's producer: it takes a value only as an exact-length <c>byte[]</c> and a key
/// only through a serializer, and allocates a message, a header list and a delivery report per
/// record (confluent-kafka-dotnet #2496), so every batch would cost a payload-sized copy on the
/// managed heap. Here the key, the value and the headers are read from spans during the call
/// (<c>RD_KAFKA_MSG_F_COPY</c>: librdkafka copies them into its own buffers before returning),
/// and the delivery report is one call of an <see cref="IRecordDeliveryHandler"/> with the caller's
/// token: no allocation per record. Settings are librdkafka's own (the same dictionary Confluent
/// takes). Delivery reports run on this producer's one polling thread.
/// </summary>
public sealed unsafe class RecordProducer : IDisposable
{
    private const int MaxHeaders = 8;
    private readonly nint _handle;
    private readonly GCHandle _self;
    private readonly ILogger _logger;
    private readonly Thread _poller;
    private readonly ConcurrentDictionary<string, nint> _topics = new(StringComparer.Ordinal);
    private readonly Lock _slotsGate = new();
    private volatile bool _stopping;
    private int _disposed;

    // Deliveries awaiting their report: the msg_opaque of a record is its slot + 1.
    private IRecordDeliveryHandler?[] _handlers = new IRecordDeliveryHandler?[1024];
    private long[] _tokens = new long[1024];
    private int[] _free = new int[1024];
    private int _freeCount;
    private int _used;

    public RecordProducer(IEnumerable<KeyValuePair<string, string>> settings, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _logger = logger;
        nint conf = ProducerNative.ConfNew();
        byte* error = stackalloc byte[512];
        foreach (var (name, value) in settings)
        {
            // Confluent.Kafka's own switches are not librdkafka's.
            if (name.StartsWith("dotnet.", StringComparison.Ordinal))
            {
                continue;
            }

            if (ProducerNative.ConfSet(conf, name, value, error, 512) != ProducerNative.ConfOk)
            {
                ProducerNative.ConfDestroy(conf);
                throw new ArgumentException($"Kafka setting {name}={value}: {Marshal.PtrToStringUTF8((nint)error)}", nameof(settings));
            }
        }

        _self = GCHandle.Alloc(this, GCHandleType.Normal);
        ProducerNative.ConfSetOpaque(conf, GCHandle.ToIntPtr(_self));
        ProducerNative.ConfSetDeliveryCallback(conf, &OnDeliveryReport);
        ProducerNative.ConfSetErrorCallback(conf, &OnError);
        ProducerNative.ConfSetLogCallback(conf, &OnLog);
        _handle = ProducerNative.KafkaNew(ProducerNative.ProducerType, conf, error, 512);
        if (_handle == 0)
        {
            ProducerNative.ConfDestroy(conf);
            _self.Free();
            throw new InvalidOperationException("librdkafka could not create the producer: " + Marshal.PtrToStringUTF8((nint)error));
        }

        _poller = new Thread(Poll) { IsBackground = true, Name = "convoy-kafka-producer" };
        _poller.Start();
    }

    /// <summary>Records produced and not yet reported on.</summary>
    public int InFlight => Volatile.Read(ref _used) - Volatile.Read(ref _freeCount);

    /// <summary>
    /// Queues one record; <paramref name="handler"/> is told once, with <paramref name="token"/>,
    /// when Kafka confirmed or finally refused it. Returns NoError when queued, or the local
    /// refusal (Local_QueueFull, Local_UnknownTopic, ...), in which case nothing was queued and
    /// the handler will not be called.
    /// </summary>
    public ErrorCode Produce(string topic, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, long timestampMs,
        scoped ReadOnlySpan<RecordHeader> headers, IRecordDeliveryHandler handler, long token)
    {
        ArgumentNullException.ThrowIfNull(handler);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (headers.Length > MaxHeaders)
        {
            throw new ArgumentException($"at most {MaxHeaders} headers", nameof(headers));
        }

        nint rkt = Topic(topic);
        int slot = Reserve(handler, token);
        var values = stackalloc ProducerNative.VarUnion[6 + MaxHeaders];
        int n = 0;
        fixed (byte* k = key, v = value)
        {
            values[n].Type = ProducerNative.VTypeRkt;
            values[n++].Pointer = rkt;
            values[n].Type = ProducerNative.VTypeKey;
            values[n].Pointer = (nint)k;
            values[n++].Size = key.Length;
            values[n].Type = ProducerNative.VTypeValue;
            values[n].Pointer = (nint)v;
            values[n++].Size = value.Length;
            values[n].Type = ProducerNative.VTypeMsgFlags;
            values[n++].Int32 = ProducerNative.MsgFlagCopy;
            values[n].Type = ProducerNative.VTypeTimestamp;
            values[n++].Int64 = timestampMs;
            values[n].Type = ProducerNative.VTypeOpaque;
            values[n++].Pointer = slot + 1;
            foreach (var header in headers)
            {
                values[n].Type = ProducerNative.VTypeHeader;
                values[n].Pointer = header.Name;
                values[n].Size = header.Value;
                values[n++].Size2 = header.Length;
            }

            nint error = ProducerNative.ProduceVa(_handle, values, (nuint)n);
            if (error == 0)
            {
                return ErrorCode.NoError;
            }

            var code = (ErrorCode)ProducerNative.ErrorCode(error);
            ProducerNative.ErrorDestroy(error);
            Release(slot);
            return code;
        }
    }

    /// <summary>Waits up to <paramref name="timeout"/> for every queued record to be reported on; false if some are left.</summary>
    public bool Flush(TimeSpan timeout) => ProducerNative.Flush(_handle, (int)timeout.TotalMilliseconds) == 0;

    private nint Topic(string topic)
    {
        if (_topics.TryGetValue(topic, out nint rkt))
        {
            return rkt;
        }

        lock (_slotsGate)
        {
            return _topics.GetOrAdd(topic, static (name, rk) => ProducerNative.TopicNew(rk, name, 0) is var handle && handle != 0
                ? handle
                : throw new ArgumentException($"librdkafka refused the topic name '{name}'", nameof(topic)), _handle);
        }
    }

    private int Reserve(IRecordDeliveryHandler handler, long token)
    {
        lock (_slotsGate)
        {
            int slot;
            if (_freeCount > 0)
            {
                slot = _free[--_freeCount];
            }
            else
            {
                if (_used == _handlers.Length)
                {
                    // Grows with the records in flight at once (bounded by queue.buffering.max.messages); rare.
                    Array.Resize(ref _handlers, _used * 2);
                    Array.Resize(ref _tokens, _used * 2);
                    Array.Resize(ref _free, _used * 2);
                }

                slot = _used++;
            }

            _handlers[slot] = handler;
            _tokens[slot] = token;
            return slot;
        }
    }

    private (IRecordDeliveryHandler? Handler, long Token) Release(int slot)
    {
        lock (_slotsGate)
        {
            var entry = (_handlers[slot], _tokens[slot]);
            _handlers[slot] = null;
            _free[_freeCount++] = slot;
            return entry;
        }
    }

    private void Poll()
    {
        while (!_stopping)
        {
            _ = ProducerNative.Poll(_handle, 100); // the number of events served; the callbacks did the work
        }
    }

    private static RecordProducer? Of(nint opaque) => opaque == 0 ? null : GCHandle.FromIntPtr(opaque).Target as RecordProducer;

    [UnmanagedCallersOnly]
    private static void OnDeliveryReport(nint rk, ProducerNative.Message* message, nint opaque)
    {
        var producer = Of(opaque);
        if (producer is null || message->Private == 0)
        {
            return;
        }

        var (handler, token) = producer.Release((int)message->Private - 1);
        try
        {
            handler?.OnDelivery(token, (ErrorCode)message->Error);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Never let an exception unwind into librdkafka's thread.
            KafkaLog.DeliveryHandlerFailed(producer._logger, e);
        }
    }

    [UnmanagedCallersOnly]
    private static void OnError(nint rk, int error, byte* reason, nint opaque)
    {
        if (Of(opaque) is { } producer)
        {
            KafkaLog.ProducerError(producer._logger, (ErrorCode)error, Marshal.PtrToStringUTF8((nint)reason) ?? string.Empty);
        }
    }

    [UnmanagedCallersOnly]
    private static void OnLog(nint rk, int level, byte* facility, byte* text)
    {
        // syslog levels: 0..3 errors, 4 warning, 5..6 notice/info, 7 debug.
        if (level <= 4 && Of(ProducerNative.Opaque(rk)) is { } producer)
        {
            KafkaLog.LibrdkafkaLog(producer._logger, level, Marshal.PtrToStringUTF8((nint)facility) ?? string.Empty, Marshal.PtrToStringUTF8((nint)text) ?? string.Empty);
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (!Flush(TimeSpan.FromSeconds(10)))
        {
            KafkaLog.ProducerError(_logger, ErrorCode.Local_TimedOut, $"{InFlight} record(s) still unconfirmed when the producer closed");
        }

        _stopping = true;
        _poller.Join();
        foreach (nint rkt in _topics.Values)
        {
            ProducerNative.TopicDestroy(rkt);
        }

        ProducerNative.KafkaDestroy(_handle);
        _self.Free();
    }
}
