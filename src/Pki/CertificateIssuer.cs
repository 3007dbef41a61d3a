using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Convoy.Pki;

/// <summary>
/// Issues ECDSA P-256 certificates with the in-box X509 APIs: a CA, server certificates and
/// device certificates carrying the Convoy identity URI.
/// </summary>
public static class CertificateIssuer
{
    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");

    /// <summary>
    /// A self-signed CA that may sign end-entity certificates only (path length 0). With a
    /// <paramref name="tenant"/>, it is that tenant's own CA (URI SAN <c>urn:convoy:tenant:&lt;tenant&gt;</c>):
    /// the collector accepts the devices it vouches for only under that tenant.
    /// </summary>
    public static X509Certificate2 CreateCertificateAuthority(string commonName, TimeSpan validity, string? tenant = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName($"CN={commonName}"), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        if (tenant is not null)
        {
            if (!DeviceIdentity.IsValidTenant(tenant))
            {
                throw new ArgumentException($"Tenant '{tenant}' is not 1..63 characters of [a-z0-9-].", nameof(tenant));
            }

            var names = new SubjectAlternativeNameBuilder();
            names.AddUri(new Uri(DeviceIdentity.TenantUri(tenant)));
            request.CertificateExtensions.Add(names.Build());
        }

        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddMinutes(-5), now.Add(validity));
    }

    /// <summary>A TLS server certificate for the given DNS names and IP addresses.</summary>
    public static X509Certificate2 IssueServer(X509Certificate2 authority, IEnumerable<string> dnsNames, IEnumerable<IPAddress> addresses, TimeSpan validity)
    {
        ArgumentNullException.ThrowIfNull(dnsNames);
        ArgumentNullException.ThrowIfNull(addresses);
        var names = new SubjectAlternativeNameBuilder();
        string? first = null;
        foreach (string dns in dnsNames)
        {
            names.AddDnsName(dns);
            first ??= dns;
        }

        foreach (var address in addresses)
        {
            names.AddIpAddress(address);
        }

        return Issue(authority, $"CN={first ?? "convoy-collector"}", names.Build(), ServerAuth, validity);
    }

    /// <summary>A TLS client certificate that names the device by <see cref="DeviceIdentity.ToUri"/>.</summary>
    public static X509Certificate2 IssueDevice(X509Certificate2 authority, DeviceIdentity device, TimeSpan validity)
    {
        ArgumentNullException.ThrowIfNull(authority);
        if (DeviceIdentity.TryReadBoundTenant(authority, out string? bound) && bound is not null && bound != device.Tenant)
        {
            throw new ArgumentException($"this CA belongs to tenant {bound}; it cannot issue certificates for tenant {device.Tenant}", nameof(device));
        }

        var names = new SubjectAlternativeNameBuilder();
        names.AddUri(new Uri(device.ToUri()));
        return Issue(authority, $"CN={device.Device}, O={device.Tenant}", names.Build(), ClientAuth, validity);
    }

    private static X509Certificate2 Issue(X509Certificate2 authority, string subject, X509Extension alternativeNames, Oid usage, TimeSpan validity)
    {
        ArgumentNullException.ThrowIfNull(authority);
        using var authorityKey = authority.GetECDsaPrivateKey()
            ?? throw new ArgumentException("The authority certificate has no ECDSA private key.", nameof(authority));
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName(subject), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([usage], false));
        request.CertificateExtensions.Add(alternativeNames);
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(authority, true, false));
        var now = DateTimeOffset.UtcNow;
        var notAfter = now.Add(validity);
        if (notAfter > authority.NotAfter)
        {
            notAfter = authority.NotAfter;
        }

        byte[] serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F; // a positive serial number
        using var issued = request.Create(authority.SubjectName, X509SignatureGenerator.CreateForECDsa(authorityKey), now.AddMinutes(-5), notAfter, serial);
        return issued.CopyWithPrivateKey(key);
    }

    /// <summary>Writes the certificate and its private key (PKCS#8) as PEM files.</summary>
    public static void WritePem(X509Certificate2 certificate, string certificatePath, string keyPath)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        using var key = certificate.GetECDsaPrivateKey()
            ?? throw new ArgumentException("The certificate has no ECDSA private key.", nameof(certificate));
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(certificatePath))!);
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem() + "\n");
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem() + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(keyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    /// <summary>Loads a certificate with its private key from PEM files.</summary>
    public static X509Certificate2 LoadPem(string certificatePath, string keyPath) =>
        X509Certificate2.CreateFromPemFile(certificatePath, keyPath);

    /// <summary>Loads certificates (no keys) from a PEM file, e.g. trust roots.</summary>
    public static X509Certificate2Collection LoadPemCertificates(string path)
    {
        var certificates = new X509Certificate2Collection();
        certificates.ImportFromPemFile(path);
        return certificates;
    }
}
