using System.Net;
using Confluent.Kafka;
using Convoy.Contracts.Telemetry.V1;
using Convoy.Pki;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using OpenTelemetry.Metrics;

// The straightforward collector, for the load benchmark only: same contract, same mTLS identity,
// same guarantee (ack only after Kafka confirmed), none of the work on the hot path.
// Usage: Convoy.ReferenceCollector <port> <metricsPort> <bootstrap.servers> <dev-certificates-folder>
if (args.Length != 4)
{
    Console.Error.WriteLine("usage: Convoy.ReferenceCollector <port> <metricsPort> <bootstrap.servers> <dev-certificates-folder>");
    return 2;
}

var certificates = DevCertificates.Ensure(args[3]);
var trustRoots = CertificateIssuer.LoadPemCertificates(certificates.AuthorityCertificatePath);
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Services.AddGrpc();
builder.Services.AddSingleton(new ProducerBuilder<string, byte[]>(new ProducerConfig
{
    BootstrapServers = args[2],
    Acks = Acks.All,
    EnableIdempotence = true,
}).Build());
builder.Services.AddOpenTelemetry().WithMetrics(m => m.AddRuntimeInstrumentation().AddPrometheusExporter());
builder.WebHost.ConfigureKestrel(kestrel =>
{
    kestrel.Listen(IPAddress.Loopback, int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture), listen =>
    {
        listen.Protocols = HttpProtocols.Http2;
        listen.UseHttps(https =>
        {
            https.ServerCertificate = CertificateIssuer.LoadPem(certificates.ServerCertificatePath, certificates.ServerKeyPath);
            https.ClientCertificateMode = ClientCertificateMode.RequireCertificate;
            https.ClientCertificateValidation = (certificate, _, _) => CertificateTrust.IsTrusted(certificate, trustRoots, out _);
        });
    });
    kestrel.Listen(IPAddress.Loopback, int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture), listen => listen.Protocols = HttpProtocols.Http1);
});
var app = builder.Build();
app.UseOpenTelemetryPrometheusScrapingEndpoint();
app.MapGrpcService<ReferenceIngest>();
await app.RunAsync();
return 0;

internal sealed class ReferenceIngest(IProducer<string, byte[]> producer) : Ingest.IngestBase
{
    public override async Task Stream(IAsyncStreamReader<TelemetryBatch> requestStream, IServerStreamWriter<IngestAck> responseStream, ServerCallContext context)
    {
        if (!DeviceIdentity.TryFromCertificate(context.GetHttpContext().Connection.ClientCertificate!, out var device))
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, "no device identity"));
        }

        await foreach (var batch in requestStream.ReadAllAsync(context.CancellationToken))
        {
            if (batch.DeviceId != device.Device)
            {
                throw new RpcException(new Status(StatusCode.PermissionDenied, "another device"));
            }

            await producer.ProduceAsync("telemetry." + device.Tenant, new Message<string, byte[]> { Key = device.Device, Value = batch.ToByteArray() });
            await responseStream.WriteAsync(new IngestAck { DeviceId = device.Device, AckedSequence = batch.Sequence, Window = 1 });
        }
    }
}
