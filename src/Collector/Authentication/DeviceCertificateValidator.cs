using System.Collections.Concurrent;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Convoy.Pki;

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

    private const int MaxRememberedChains = 200_000;
    private static readonly TimeSpan RememberFor = TimeSpan.FromMinutes(10);

    // Chains already built for a certificate against the current roots: a fleet reconnecting
    // after an outage presents the same certificates again, and building an X.509 chain is the
    // most expensive part of a handshake after the key exchange. Successes only; revocation,
    // identity and tenant binding are still checked on every handshake.
    private readonly ConcurrentDictionary<string, TrustedChain> _trusted = new(StringComparer.Ordinal);
    private X509Certificate2Collection? _trustedRoots;

    public DeviceCertificateValidator(Func<X509Certificate2Collection> trustRoots, Func<RevocationList> revoked, ILogger<DeviceCertificateValidator> logger, TimeProvider time, CollectorMetrics metrics)
    {
        _revoked = revoked;
        _metrics = metrics;
        _trustRoots = trustRoots;
        _logger = logger;
        _time = time;
    }

    /// <summary>
    /// The address of the connection whose TLS handshake is running, for the audit log: set by a
    /// connection middleware in front of TLS (the handshake callback runs in its async flow and
    /// is given no connection).
    /// </summary>
    public static readonly AsyncLocal<string?> Remote = new();

    public bool Validate(X509Certificate2 certificate, X509Chain? presentedChain, SslPolicyErrors errors)
    {
        string remote = Remote.Value ?? "unknown";
        if (!IsTrusted(certificate, presentedChain, out string? reason, out string? boundTenant))
        {
            CollectorLog.DeviceCertificateRefused(_logger, certificate.Subject, certificate.SerialNumber, remote, reason ?? errors.ToString());
            _metrics.AccessRefused(string.Empty, RefusalReasons.UntrustedCertificate);
            return false;
        }

        if (_revoked().IsRevoked(certificate))
        {
            CollectorLog.DeviceCertificateRefused(_logger, certificate.Subject, certificate.SerialNumber, remote, "revoked");
            _metrics.AccessRefused(string.Empty, RefusalReasons.RevokedCertificate);
            return false;
        }

        if (!DeviceIdentity.TryFromCertificate(certificate, out var identity))
        {
            _metrics.AccessRefused(string.Empty, RefusalReasons.NoIdentity);
            CollectorLog.DeviceCertificateRefused(_logger, certificate.Subject, certificate.SerialNumber, remote,
                "no subject alternative name URI urn:convoy:tenant:<tenant>:device:<device>");
            return false;
        }

        // A tenant's own CA vouches for that tenant's devices only.
        if (boundTenant is not null && boundTenant != identity.Tenant)
        {
            _metrics.AccessRefused(identity.Tenant, RefusalReasons.CaOfAnotherTenant);
            CollectorLog.DeviceCertificateRefused(_logger, certificate.Subject, certificate.SerialNumber, remote,
                $"it claims tenant {identity.Tenant} but was issued by the CA of tenant {boundTenant}");
            return false;
        }

        return true;
    }

    /// <summary>Certificates whose chain is remembered now (for tests and metrics).</summary>
    public int RememberedChains => _trusted.Count;

    private bool IsTrusted(X509Certificate2 certificate, X509Chain? presentedChain, out string? reason, out string? boundTenant)
    {
        var roots = _trustRoots();
        var now = _time.GetUtcNow().UtcDateTime;
        if (!ReferenceEquals(Volatile.Read(ref _trustedRoots), roots))
        {
            // The roots were reloaded: what was trusted before must be checked again.
            _trusted.Clear();
            Volatile.Write(ref _trustedRoots, roots);
        }

        string key = Convert.ToHexString(certificate.GetCertHash(System.Security.Cryptography.HashAlgorithmName.SHA256));
        if (_trusted.TryGetValue(key, out var known) && now >= known.NotBefore && now < known.NotAfter)
        {
            reason = null;
            boundTenant = known.BoundTenant;
            return true;
        }

        // Intermediates the client sent along count; revocation is the CRL check after this.
        if (!CertificateTrust.IsTrusted(certificate, roots, out reason, out boundTenant, CertificateTrust.ClientAuthentication, now, presentedChain?.ChainElements))
        {
            return false;
        }

        if (_trusted.Count >= MaxRememberedChains)
        {
            _trusted.Clear();
        }

        // Remembered for at most ten minutes, and never past the certificate's own validity.
        var until = certificate.NotAfter.ToUniversalTime();
        _trusted[key] = new TrustedChain(certificate.NotBefore.ToUniversalTime(), until < now + RememberFor ? until : now + RememberFor, boundTenant);
        return true;
    }

    private sealed record TrustedChain(DateTime NotBefore, DateTime NotAfter, string? BoundTenant);
}
