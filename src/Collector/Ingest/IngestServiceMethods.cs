using Grpc.AspNetCore.Server.Model;

namespace Convoy.Collector.Ingest;

/// <summary>Binds <see cref="IngestService"/> to <see cref="IngestMethods"/> (raw request bytes).</summary>
internal sealed class IngestServiceMethods : IServiceMethodProvider<IngestService>
{
    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<IngestService> context)
    {
        context.AddDuplexStreamingMethod(IngestMethods.Stream, [], static (service, requests, responses, call) => service.StreamAsync(requests, responses, call));
        context.AddUnaryMethod(IngestMethods.Upload, [], static (service, request, call) => service.UploadAsync(request, call));
    }
}
