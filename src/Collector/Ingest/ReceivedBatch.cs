using System.Buffers;
using Grpc.Core;
using Microsoft.Extensions.ObjectPool;

namespace Convoy.Collector.Ingest;

/// <summary>
/// One batch of a device stream as it arrived: its bytes copied once from the HTTP/2 frames into
/// a buffer rented from the shared array pool, read in place by the validator, copied by
/// librdkafka into its own memory during the produce call, and then given back. So a batch costs
/// no allocation however many readings it holds; the holder objects are pooled too.
/// </summary>
internal sealed class ReceivedBatch
{
    private static readonly ObjectPool<ReceivedBatch> Holders = new DefaultObjectPool<ReceivedBatch>(new DefaultPooledObjectPolicy<ReceivedBatch>(), 4096);

    /// <summary>The request side of Ingest.Stream on the server: encoded TelemetryBatch, pooled.</summary>
    public static readonly Marshaller<ReceivedBatch> Marshaller = Marshallers.Create(
        static (ReceivedBatch batch, SerializationContext context) => context.Complete(batch.Bytes.ToArray()),
        Read);

    private byte[] _buffer = [];

    public int Length { get; private set; }

    public ReadOnlySpan<byte> Bytes => _buffer.AsSpan(0, Length);

    /// <summary>Copies the message out of gRPC's buffers into a pooled one.</summary>
    public static ReceivedBatch Read(DeserializationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var payload = context.PayloadAsReadOnlySequence();
        var batch = Holders.Get();
        int length = checked((int)payload.Length); // bounded by Collector:MaxBatchBytes before this runs
        batch._buffer = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
        payload.CopyTo(batch._buffer);
        batch.Length = length;
        return batch;
    }

    /// <summary>Gives the buffer back; the batch must not be used afterwards.</summary>
    public void Return()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
        Length = 0;
        Holders.Return(this);
    }
}
