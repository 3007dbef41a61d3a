using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Convoy.Pki;
using Microsoft.Extensions.Logging;

namespace Convoy.Collector.Authentication;

/// <summary>
/// Decides during the TLS handshake whether a device certificate is acceptable: it must chain to
/// one of the configured trust roots (and only those: the machine's store is not consulted), be
/// within its validity period, not be on the revocation list, and carry a Convoy identity URI. A refused certificate fails the
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
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_trustRoots());
        // Revocation is checked below against the operator's CRL file (Collector:RevocationList),
        // not through the platform's online checks, which a closed network would stall.
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = _time.GetUtcNow().UtcDateTime;
        chain.ChainPolicy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid("1.3.6.1.5.5.7.3.2")); // clientAuth
        if (presentedChain is not null)
        {
            // Intermediates the client sent along.
            foreach (var element in presentedChain.ChainElements)
            {
                if (!element.Certificate.Equals(certificate))
                {
                    chain.ChainPolicy.ExtraStore.Add(element.Certificate);
                }
            }
        }

        if (!chain.Build(certificate))
        {
            string reason = chain.ChainStatus.Length > 0 ? chain.ChainStatus[0].StatusInformation.Trim() : errors.ToString();
            CollectorLog.DeviceCertificateRefused(_logger, certificate.Subject, certificate.SerialNumber, reason);
            _metrics.AccessRefused(string.Empty, "untrusted-certificate");
            return false;
        }

        if (_revoked().IsRevoked(certificate))
        {
            CollectorLog.DeviceCertificateRefused(_logger, certificate.Subject, certificate.SerialNumber, "revoked");
            _metrics.AccessRefused(string.Empty, "revoked-certificate");
            return false;
        }

        if (!DeviceIdentity.TryFromCertificate(certificate, out _))
        {
            _metrics.AccessRefused(string.Empty, "no-identity");
            CollectorLog.DeviceCertificateRefused(_logger, certificate.Subject, certificate.SerialNumber,
                "no subject alternative name URI urn:convoy:tenant:<tenant>:device:<device>");
            return false;
        }

        return true;
    }
}
