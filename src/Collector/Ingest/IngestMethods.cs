using Convoy.Contracts.Telemetry.V1;
using Grpc.Core;

namespace Convoy.Collector.Ingest;

/// <summary>
/// The Ingest service's methods, bound with a request marshaller that keeps the batch's bytes as
/// they arrived: those bytes are what goes to Kafka, so the collector never re-encodes a batch.
/// </summary>
internal static class IngestMethods
{
    private const string ServiceName = "convoy.telemetry.v1.Ingest";

    /// <summary>The request payload, copied once into an array of exactly its length.</summary>
    private static readonly Marshaller<byte[]> RawBytes = Marshallers.Create(
        static (byte[] bytes, SerializationContext context) => context.Complete(bytes),
        static (DeserializationContext context) => context.PayloadAsNewBuffer());

    private static readonly Marshaller<IngestAck> Ack = Marshallers.Create(
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

    public static readonly Method<byte[], IngestAck> Stream = new(MethodType.DuplexStreaming, ServiceName, "Stream", RawBytes, Ack);

    public static readonly Method<byte[], UploadResponse> Upload = new(MethodType.Unary, ServiceName, "Upload", RawBytes, UploadAnswer);
}
