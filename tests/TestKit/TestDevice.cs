using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Convoy.Contracts.Telemetry.V1;
using Convoy.Pki;
using Grpc.Core;
using Grpc.Net.Client;

namespace Convoy.TestKit;

/// <summary>A device as a test drives it: a stock generated gRPC client over mTLS (or without a certificate).</summary>
public sealed class TestDevice : IDisposable
{
    private readonly GrpcChannel _channel;
    private readonly X509Certificate2? _certificate;
    private readonly X509Certificate2Collection _trustRoots;

    public TestDevice(Uri collector, X509Certificate2? certificate, X509Certificate2Collection trustRoots)
    {
        _certificate = certificate;
        _trustRoots = trustRoots;
        _channel = GrpcChannel.ForAddress(collector, new GrpcChannelOptions { HttpHandler = NewHandler() });
        Client = new Ingest.IngestClient(_channel);
    }

    /// <summary>A fresh mTLS HTTP/2 handler with this device's certificate, for raw requests.</summary>
    public SocketsHttpHandler NewHandler() => new()
    {
        SslOptions = new SslClientAuthenticationOptions
        {
            ClientCertificates = _certificate is null ? null : [_certificate],
            RemoteCertificateValidationCallback = (_, server, _, _) => CertificateTrust.IsTrusted((X509Certificate2)server!, _trustRoots, out _),
        },
    };

    public Ingest.IngestClient Client { get; }


    /// <summary>The mTLS channel, for other services of the collector (health, reflection).</summary>
    public GrpcChannel Channel => _channel;

    /// <summary>Opens the stream and waits until the collector accepted the call (as the agent does).</summary>
    public async Task<AsyncDuplexStreamingCall<TelemetryBatch, IngestAck>> OpenAsync(Metadata? headers = null)
    {
        var call = Client.Stream(headers, deadline: DateTime.UtcNow.AddSeconds(60));
        await call.ResponseHeadersAsync;
        return call;
    }

    /// <summary>Sends the batches on one stream, half-closes, and returns every ack until the collector ends the call.</summary>
    public Task<List<IngestAck>> SendAsync(params TelemetryBatch[] batches) => SendAsync(null, batches);

    /// <summary>As <see cref="SendAsync(TelemetryBatch[])"/>, with request metadata of the test's choosing.</summary>
    public async Task<List<IngestAck>> SendAsync(Metadata? headers, params TelemetryBatch[] batches)
    {
        using var call = await OpenAsync(headers);
        try
        {
            foreach (var batch in batches)
            {
                await call.RequestStream.WriteAsync(batch);
            }

            await call.RequestStream.CompleteAsync();
        }
        catch (RpcException)
        {
            // The collector ended the call while we were writing: its own status is on the
            // response side, and that is the one that says why (as the agent reads it).
        }

        var acks = new List<IngestAck>();
        while (await call.ResponseStream.MoveNext(CancellationToken.None))
        {
            acks.Add(call.ResponseStream.Current);
        }

        return acks;
    }

    /// <summary>A small valid batch: three readings of reefer zone 1, a minute ago.</summary>
    public static TelemetryBatch Batch(string device, ulong sequence) => BatchBuilder.For(device, sequence).Temperatures(zone: 1, 3.1f, 3.2f, 3.0f);

    public void Dispose() => _channel.Dispose();
}
