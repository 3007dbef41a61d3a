using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Convoy.Pki;
using Microsoft.Extensions.Logging;

namespace Convoy.Collector.Authentication;

/// <summary>
/// Decides during the TLS handshake whether a device certificate is acceptable: it must chain to
/// one of the configured trust roots (and only those: the machine's store is not consulted), be
/// within its validity period, not be on the revocation list, and carry a Convoy identity URI,
/// whose tenant must be the one of a tenant-bound CA in its chain (a CA made with
/// <c>pki create-ca --tenant</c>); platform CAs vouch for any tenant. A refused certificate fails the
/// handshake, so nothing of that connection ever reaches a handler.
/// </summary>
internal sealed class DeviceCertificateValidator
{
    private readonly Func<X509Certificate2Collection> _trustRoots;
    private readonly Func<RevocationList> _revoked;
    private readonly ILogger<DeviceCertificateValidator> _logger;
    private readonly TimeProvider _time;
    private readonly CollectorMetrics _metrics;

    public DeviceCertificateValidator(Func<X509Certificate2Collection> trustRoots, Func<RevocationList> revoked, ILogger<DeviceCertificateValidator> logger, TimeProvider time, CollectorMetrics metrics)
    {
        _revoked = revoked;
        _metrics = metrics;
        _trustRoots = trustRoots;
        _logger = logger;
        _time = time;
    }

    public bool Validate(X509Certificate2 certificate, X509Chain? presentedChain, SslPolicyErrors errors)
    {
        // Intermediates the client sent along count; revocation is the CRL check below.
        if (!CertificateTrust.IsTrusted(certificate, _trustRoots(), out string? reason, out string? boundTenant, CertificateTrust.ClientAuthentication,
            _time.GetUtcNow().UtcDateTime, presentedChain?.ChainElements))
        {
            CollectorLog.DeviceCertificateRefused(_logger, certificate.Subject, certificate.SerialNumber, reason ?? errors.ToString());
            _metrics.AccessRefused(string.Empty, "untrusted-certificate");
            return false;
        }

        if (_revoked().IsRevoked(certificate))
        {
            CollectorLog.DeviceCertificateRefused(_logger, certificate.Subject, certificate.SerialNumber, "revoked");
            _metrics.AccessRefused(string.Empty, "revoked-certificate");
            return false;
        }

        if (!DeviceIdentity.TryFromCertificate(certificate, out var identity))
        {
            _metrics.AccessRefused(string.Empty, "no-identity");
            CollectorLog.DeviceCertificateRefused(_logger, certificate.Subject, certificate.SerialNumber,
                "no subject alternative name URI urn:convoy:tenant:<tenant>:device:<device>");
            return false;
        }

        // A tenant's own CA vouches for that tenant's devices only.
        if (boundTenant is not null && boundTenant != identity.Tenant)
        {
            _metrics.AccessRefused(identity.Tenant, "ca-of-another-tenant");
            CollectorLog.DeviceCertificateRefused(_logger, certificate.Subject, certificate.SerialNumber,
                $"it claims tenant {identity.Tenant} but was issued by the CA of tenant {boundTenant}");
            return false;
        }

        return true;
    }
}
