using Convoy.Contracts;
using Convoy.Contracts.Telemetry.V1;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;

namespace Convoy.Collector.Ingest;

/// <summary>
/// Binds <see cref="IngestService"/> to convoy.telemetry.v1.Ingest: Stream's requests as pooled
/// <see cref="ReceivedBatch"/> buffers, Upload's as raw bytes (<see cref="IngestWire"/>).
/// </summary>
internal sealed class IngestServiceMethods : IServiceMethodProvider<IngestService>
{
    private static readonly Method<ReceivedBatch, IngestAck> Stream =
        new(MethodType.DuplexStreaming, IngestWire.ServiceName, "Stream", ReceivedBatch.Marshaller, IngestWire.Ack);

    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<IngestService> context)
    {
        context.AddDuplexStreamingMethod(Stream, [], static (service, requests, responses, call) => service.StreamAsync(requests, responses, call));
        context.AddUnaryMethod(IngestWire.Upload, [], static (service, request, call) => service.UploadAsync(request, call));
    }
}
