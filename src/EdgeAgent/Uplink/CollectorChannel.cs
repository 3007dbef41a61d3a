using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Convoy.Pki;
using Grpc.Net.Client;

namespace Convoy.EdgeAgent.Uplink;

/// <summary>
/// A gRPC channel to one collector over mutual TLS: the device presents its certificate, and the
/// collector's certificate must chain to the configured trust roots (only those) and name the host.
/// </summary>
internal static class CollectorChannel
{
    public static GrpcChannel Create(Uri collector, DeviceCertificate deviceCertificate, X509Certificate2Collection trustRoots)
    {
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                // Chosen per handshake, so a rotated certificate is presented on the next connection.
                LocalCertificateSelectionCallback = (_, _, _, _, _) => deviceCertificate.Current,
                RemoteCertificateValidationCallback = (_, certificate, _, errors) => IsTrusted(certificate, errors, trustRoots),
            },
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            // Notice a dead cellular link within a minute instead of waiting for TCP.
            KeepAlivePingDelay = TimeSpan.FromSeconds(30),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(15),
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
            ConnectTimeout = TimeSpan.FromSeconds(15),
        };
        return GrpcChannel.ForAddress(collector, new GrpcChannelOptions
        {
            HttpHandler = handler,
            DisposeHttpClient = true,
            MaxReceiveMessageSize = 1024 * 1024,
        });
    }

    private static bool IsTrusted(X509Certificate? certificate, SslPolicyErrors errors, X509Certificate2Collection trustRoots)
    {
        if (certificate is not X509Certificate2 server || (errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0)
        {
            return false;
        }

        return CertificateTrust.IsTrusted(server, trustRoots, out _);
    }
}
