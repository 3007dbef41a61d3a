using System.Security.Cryptography.X509Certificates;
using Convoy.Pki;

namespace Convoy.EdgeAgent.Uplink;

/// <summary>
/// The device's client certificate, followed on disk: when the certificate or key file changes
/// (a rotation pushed by fleet management), the next TLS handshake presents the new one, with no
/// restart. A pair caught half-written is ignored until it reads cleanly.
/// </summary>
internal sealed class DeviceCertificate
{
    private readonly string _certificatePath;
    private readonly string _keyPath;
    private readonly Lock _gate = new();
    private (DateTime Certificate, DateTime Key) _stamps;
    private X509Certificate2 _current;

    public DeviceCertificate(string certificatePath, string keyPath)
    {
        _certificatePath = certificatePath;
        _keyPath = keyPath;
        _stamps = Stamps();
        _current = CertificateIssuer.LoadPem(certificatePath, keyPath);
    }

    /// <summary>The certificate to present now (re-read if the files changed).</summary>
    public X509Certificate2 Current
    {
        get
        {
            lock (_gate)
            {
                var stamps = Stamps();
                if (stamps != _stamps)
                {
                    try
                    {
                        _current = CertificateIssuer.LoadPem(_certificatePath, _keyPath);
                        _stamps = stamps;
                    }
                    catch (Exception e) when (e is IOException or System.Security.Cryptography.CryptographicException or ArgumentException)
                    {
                        // Half-written during a rotation: keep presenting the previous one.
                    }
                }

                return _current;
            }
        }
    }

    private (DateTime, DateTime) Stamps() => (File.GetLastWriteTimeUtc(_certificatePath), File.GetLastWriteTimeUtc(_keyPath));
}
