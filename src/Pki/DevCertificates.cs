using System.Net;
using System.Security.Cryptography.X509Certificates;

namespace Convoy.Pki;

/// <summary>
/// Development certificates in one folder: a CA, a server certificate for localhost and
/// 127.0.0.1, and device certificates under <c>devices/&lt;tenant&gt;/&lt;device&gt;.crt|.key</c>.
/// Made on first use, reused after. For development and tests only: the CA key lies beside the
/// certificates it signs.
/// </summary>
public sealed class DevCertificates
{
    private static readonly TimeSpan Validity = TimeSpan.FromDays(365);
    private readonly Lock _gate = new();

    private DevCertificates(string folder, X509Certificate2 authority)
    {
        Folder = folder;
        Authority = authority;
    }

    public string Folder { get; }

    /// <summary>The development CA, with its private key.</summary>
    public X509Certificate2 Authority { get; }

    public string AuthorityCertificatePath => Path.Combine(Folder, "ca.crt");

    public string ServerCertificatePath => Path.Combine(Folder, "server.crt");

    public string ServerKeyPath => Path.Combine(Folder, "server.key");

    /// <summary>Opens the folder, creating the CA and the server certificate when they are missing.</summary>
    public static DevCertificates Ensure(string folder)
    {
        folder = Path.GetFullPath(folder);
        Directory.CreateDirectory(folder);
        string caCert = Path.Combine(folder, "ca.crt");
        string caKey = Path.Combine(folder, "ca.key");
        if (!File.Exists(caCert) || !File.Exists(caKey))
        {
            using var created = CertificateIssuer.CreateCertificateAuthority("Convoy Development CA", Validity * 2);
            CertificateIssuer.WritePem(created, caCert, caKey);
        }

        var certificates = new DevCertificates(folder, CertificateIssuer.LoadPem(caCert, caKey));
        if (!File.Exists(certificates.ServerCertificatePath) || !File.Exists(certificates.ServerKeyPath))
        {
            using var server = CertificateIssuer.IssueServer(certificates.Authority, ["localhost"], [IPAddress.Loopback, IPAddress.IPv6Loopback], Validity);
            CertificateIssuer.WritePem(server, certificates.ServerCertificatePath, certificates.ServerKeyPath);
        }

        return certificates;
    }

    /// <summary>Paths of a device's certificate and key, issuing them when missing.</summary>
    public (string CertificatePath, string KeyPath) EnsureDevice(DeviceIdentity device)
    {
        string folder = Path.Combine(Folder, "devices", device.Tenant);
        string certificate = Path.Combine(folder, device.Device + ".crt");
        string key = Path.Combine(folder, device.Device + ".key");
        lock (_gate)
        {
            if (!File.Exists(certificate) || !File.Exists(key))
            {
                using var issued = CertificateIssuer.IssueDevice(Authority, device, Validity);
                CertificateIssuer.WritePem(issued, certificate, key);
            }
        }

        return (certificate, key);
    }
}
