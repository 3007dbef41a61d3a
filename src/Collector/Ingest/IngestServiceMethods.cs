using Convoy.Contracts;
using Grpc.AspNetCore.Server.Model;

namespace Convoy.Collector.Ingest;

/// <summary>Binds <see cref="IngestService"/> to <see cref="IngestWire"/> (raw request bytes).</summary>
internal sealed class IngestServiceMethods : IServiceMethodProvider<IngestService>
{
    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<IngestService> context)
    {
        context.AddDuplexStreamingMethod(IngestWire.Stream, [], static (service, requests, responses, call) => service.StreamAsync(requests, responses, call));
        context.AddUnaryMethod(IngestWire.Upload, [], static (service, request, call) => service.UploadAsync(request, call));
    }
}
