using Convoy.Contracts.Telemetry.V1;
using Grpc.Core;

namespace Convoy.Contracts;

/// <summary>
/// The methods of convoy.telemetry.v1.Ingest (ingest.proto) with the request carried as the
/// encoded batch bytes. The wire format is exactly the generated one; only the in-process type
/// differs. The agent stores batches encoded and sends them as they are; the collector keeps the
/// bytes as they arrived and writes those to Kafka, so nobody re-encodes a batch.
/// </summary>
public static class IngestWire
{
    public const string ServiceName = "convoy.telemetry.v1.Ingest";

    /// <summary>Encoded request: written as is; read by copying the payload once into an array of exactly its length.</summary>
    private static readonly Marshaller<byte[]> RawBytes = Marshallers.Create(
        static (byte[] bytes, SerializationContext context) => context.Complete(bytes),
        static (DeserializationContext context) => context.PayloadAsNewBuffer());

    /// <summary>IngestAck as generated (also for the collector's own pooled request marshaller).</summary>
    public static readonly Marshaller<IngestAck> Ack = Marshallers.Create(
        static (IngestAck message, SerializationContext context) =>
        {
            context.SetPayloadLength(message.CalculateSize());
            Google.Protobuf.MessageExtensions.WriteTo(message, context.GetBufferWriter());
            context.Complete();
        },
        static context => IngestAck.Parser.ParseFrom(context.PayloadAsReadOnlySequence()));

    private static readonly Marshaller<UploadResponse> UploadAnswer = Marshallers.Create(
        static (UploadResponse message, SerializationContext context) =>
        {
            context.SetPayloadLength(message.CalculateSize());
            Google.Protobuf.MessageExtensions.WriteTo(message, context.GetBufferWriter());
            context.Complete();
        },
        static context => UploadResponse.Parser.ParseFrom(context.PayloadAsReadOnlySequence()));

    /// <summary>rpc Stream(stream TelemetryBatch) returns (stream IngestAck), requests as encoded TelemetryBatch.</summary>
    public static readonly Method<byte[], IngestAck> Stream = new(MethodType.DuplexStreaming, ServiceName, "Stream", RawBytes, Ack);

    /// <summary>rpc Upload(UploadRequest) returns (UploadResponse), the request as encoded UploadRequest.</summary>
    public static readonly Method<byte[], UploadResponse> Upload = new(MethodType.Unary, ServiceName, "Upload", RawBytes, UploadAnswer);
}
