using System.Security.Cryptography.X509Certificates;
using Convoy.Pki;
using Microsoft.Extensions.Logging;

namespace Convoy.Collector.Authentication;

/// <summary>
/// The server certificate, the device trust roots and the revocation list, followed on disk: when a file changes they
/// are read again (checked at most once a second, on the next TLS handshake), so certificates
/// rotate without a restart and without touching open streams. A file that cannot be read (say,
/// caught half-written) leaves the previous certificates in use, and is tried again.
/// </summary>
internal sealed class CertificateFiles
{
    private static readonly TimeSpan CheckEvery = TimeSpan.FromSeconds(1);
    private readonly string _certificatePath;
    private readonly string _keyPath;
    private readonly string _trustRootsPath;
    private readonly string? _revocationListPath;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private DateTimeOffset _checkedAt;
    private (DateTime Certificate, DateTime Key, DateTime Roots, DateTime Revocations) _stamps;
    private RevocationList _revoked;
    private X509Certificate2 _server;
    private X509Certificate2Collection _roots;

    /// <summary>Loads the files now, so a bad one stops the start-up rather than the first handshake.</summary>
    public CertificateFiles(string certificatePath, string keyPath, string trustRootsPath, string? revocationListPath, TimeProvider time)
    {
        _certificatePath = certificatePath;
        _keyPath = keyPath;
        _trustRootsPath = trustRootsPath;
        _revocationListPath = revocationListPath;
        _revoked = revocationListPath is null ? RevocationList.Empty : RevocationList.Load(revocationListPath);
        _time = time;
        _stamps = Stamps();
        _server = CertificateIssuer.LoadPem(certificatePath, keyPath);
        _roots = LoadRoots(trustRootsPath);
        _checkedAt = time.GetUtcNow();
    }

    /// <summary>Where reloads are logged; set once the host's logging exists.</summary>
    public ILogger Logger { get; set; } = Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    public X509Certificate2 ServerCertificate
    {
        get
        {
            Refresh();
            return Volatile.Read(ref _server);
        }
    }

    /// <summary>The revoked device certificates (empty without Collector:RevocationList).</summary>
    public RevocationList Revoked
    {
        get
        {
            Refresh();
            return Volatile.Read(ref _revoked);
        }
    }

    public X509Certificate2Collection TrustRoots
    {
        get
        {
            Refresh();
            return Volatile.Read(ref _roots);
        }
    }

    /// <summary>Re-reads changed files (at most once a second); also called by <see cref="CertificateWatcher"/>.</summary>
    public void Refresh()
    {
        var now = _time.GetUtcNow();
        if (now - _checkedAt < CheckEvery)
        {
            return;
        }

        lock (_gate)
        {
            if (now - _checkedAt < CheckEvery)
            {
                return;
            }

            _checkedAt = now;
            var stamps = Stamps();
            if (stamps == _stamps)
            {
                return;
            }

            try
            {
                if (stamps.Certificate != _stamps.Certificate || stamps.Key != _stamps.Key)
                {
                    Volatile.Write(ref _server, CertificateIssuer.LoadPem(_certificatePath, _keyPath));
                    CollectorLog.CertificatesReloaded(Logger, "server certificate", _certificatePath);
                }

                if (stamps.Revocations != _stamps.Revocations && _revocationListPath is not null)
                {
                    Volatile.Write(ref _revoked, RevocationList.Load(_revocationListPath));
                    CollectorLog.CertificatesReloaded(Logger, "revocation list", _revocationListPath);
                }

                if (stamps.Roots != _stamps.Roots)
                {
                    Volatile.Write(ref _roots, LoadRoots(_trustRootsPath));
                    CollectorLog.CertificatesReloaded(Logger, "device trust roots", _trustRootsPath);
                }

                _stamps = stamps;
            }
            catch (Exception e) when (e is IOException or System.Security.Cryptography.CryptographicException or ArgumentException or System.Formats.Asn1.AsnContentException)
            {
                CollectorLog.CertificatesReloadFailed(Logger, e.Message);
            }
        }
    }

    private (DateTime Certificate, DateTime Key, DateTime Roots, DateTime Revocations) Stamps() =>
        (File.GetLastWriteTimeUtc(_certificatePath), File.GetLastWriteTimeUtc(_keyPath), File.GetLastWriteTimeUtc(_trustRootsPath),
         _revocationListPath is null ? default : File.GetLastWriteTimeUtc(_revocationListPath));

    private static X509Certificate2Collection LoadRoots(string path)
    {
        var roots = CertificateIssuer.LoadPemCertificates(path);
        return roots.Count > 0 ? roots : throw new ArgumentException($"{path} holds no PEM certificate");
    }
}
