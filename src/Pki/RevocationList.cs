using System.Formats.Asn1;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Convoy.Pki;

/// <summary>
/// A certificate revocation list (RFC 5280 CRL, PEM or DER) as the set of revoked serial numbers,
/// and the operator's side: adding a certificate to the CRL a CA signs.
/// </summary>
public sealed class RevocationList
{
    private readonly HashSet<string> _serials;

    private RevocationList(HashSet<string> serials) => _serials = serials;

    public static RevocationList Empty { get; } = new([]);

    public int Count => _serials.Count;

    /// <summary>True when the certificate's serial number is on the list.</summary>
    public bool IsRevoked(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return _serials.Contains(Normalise(certificate.SerialNumber));
    }

    /// <summary>
    /// Reads a CRL file: DER, or PEM with one or more "X509 CRL" blocks (one per CA, when each
    /// tenant has its own CA: <c>cat */revoked.crl &gt; all.crl</c>). Throws on a malformed file.
    /// </summary>
    public static RevocationList Load(string path)
    {
        byte[] file = File.ReadAllBytes(path);
        var serials = new HashSet<string>(StringComparer.Ordinal);
        string text = System.Text.Encoding.ASCII.GetString(file);
        int read = 0;
        for (var rest = text.AsSpan(); PemEncoding.TryFind(rest, out var pem); rest = rest[pem.Location.End..])
        {
            AddSerials(Convert.FromBase64String(rest[pem.Base64Data].ToString()), serials);
            read++;
        }

        if (read == 0)
        {
            AddSerials(file, serials);
        }

        return new RevocationList(serials);
    }

    private static void AddSerials(byte[] der, HashSet<string> serials)
    {
        var list = new AsnReader(der, AsnEncodingRules.DER).ReadSequence();
        var tbs = list.ReadSequence();
        if (tbs.PeekTag().HasSameClassAndValue(Asn1Tag.Integer))
        {
            tbs.ReadInteger(); // version
        }

        tbs.ReadEncodedValue(); // signature algorithm
        tbs.ReadEncodedValue(); // issuer
        tbs.ReadEncodedValue(); // thisUpdate
        if (tbs.HasData && (tbs.PeekTag().HasSameClassAndValue(Asn1Tag.UtcTime) || tbs.PeekTag().HasSameClassAndValue(Asn1Tag.GeneralizedTime)))
        {
            tbs.ReadEncodedValue(); // nextUpdate
        }

        if (tbs.HasData && tbs.PeekTag().HasSameClassAndValue(Asn1Tag.Sequence))
        {
            var revoked = tbs.ReadSequence();
            while (revoked.HasData)
            {
                var entry = revoked.ReadSequence();
                serials.Add(Normalise(Convert.ToHexString(entry.ReadIntegerBytes().Span)));
            }
        }
    }

    /// <summary>
    /// Adds <paramref name="certificate"/> to the CRL at <paramref name="crlPath"/> (creating it),
    /// signed by <paramref name="authority"/>, valid for <paramref name="validity"/>. Written as PEM.
    /// </summary>
    public static void Revoke(X509Certificate2 authority, X509Certificate2 certificate, string crlPath, TimeSpan validity)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        CertificateRevocationListBuilder builder;
        BigInteger number = 0;
        if (File.Exists(crlPath))
        {
            builder = CertificateRevocationListBuilder.Load(Der(File.ReadAllBytes(crlPath)), out number);
        }
        else
        {
            builder = new CertificateRevocationListBuilder();
        }

        builder.AddEntry(certificate, DateTimeOffset.UtcNow, X509RevocationReason.Superseded);
        byte[] crl = builder.Build(authority, number + 1, DateTimeOffset.UtcNow.Add(validity), HashAlgorithmName.SHA256);
        string temporary = crlPath + ".new";
        File.WriteAllText(temporary, PemEncoding.WriteString("X509 CRL", crl) + "\n");
        File.Move(temporary, crlPath, overwrite: true);
    }

    private static byte[] Der(byte[] file)
    {
        string text = System.Text.Encoding.ASCII.GetString(file);
        if (PemEncoding.TryFind(text, out var pem))
        {
            return Convert.FromBase64String(text[pem.Base64Data]);
        }

        return file;
    }

    // Serial numbers compare as hex without leading zero bytes.
    private static string Normalise(string hex) => hex.TrimStart('0').ToUpperInvariant();
}
