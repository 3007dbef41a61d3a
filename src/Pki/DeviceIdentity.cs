using System.Buffers;
using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;

namespace Convoy.Pki;

/// <summary>
/// Who a device is: its tenant and device id, read from one place only, the URI subject
/// alternative name <c>urn:convoy:tenant:&lt;tenant&gt;:device:&lt;device&gt;</c> of its client
/// certificate. Nothing a device sends can change it.
/// </summary>
public readonly record struct DeviceIdentity(string Tenant, string Device)
{
    private const string SubjectAltNameOid = "2.5.29.17";
    private const string UriPrefix = "urn:convoy:tenant:";
    private const string DeviceSeparator = ":device:";

    // The identity grammar is two character classes and two lengths, checked by hand rather than
    // with Regex: the edge agent links this library into its NativeAOT binary, and the regex engine
    // was a twentieth of that binary (and of its resident memory on the gateway).
    private static readonly SearchValues<char> TenantCharacters = SearchValues.Create("abcdefghijklmnopqrstuvwxyz0123456789-");
    private static readonly SearchValues<char> DeviceCharacters = SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-");

    public string ToUri() => $"{UriPrefix}{Tenant}{DeviceSeparator}{Device}";

    public override string ToString() => $"{Tenant}/{Device}";

    /// <summary>Tenant ids: 1..63 characters of [a-z0-9-], starting with a letter or digit (they name Kafka topics).</summary>
    public static bool IsValidTenant(string? tenant) => tenant is not null && IsTenant(tenant);

    /// <summary>Device ids: 1..64 characters of [A-Za-z0-9._-].</summary>
    public static bool IsValidDevice(string? device) => device is not null && IsDevice(device);

    public static DeviceIdentity Create(string tenant, string device)
    {
        if (!IsValidTenant(tenant))
        {
            throw new ArgumentException($"Tenant '{tenant}' is not 1..63 characters of [a-z0-9-].", nameof(tenant));
        }

        if (!IsValidDevice(device))
        {
            throw new ArgumentException($"Device '{device}' is not 1..64 characters of [A-Za-z0-9._-].", nameof(device));
        }

        return new DeviceIdentity(tenant, device);
    }

    /// <summary>Parses <c>urn:convoy:tenant:&lt;tenant&gt;:device:&lt;device&gt;</c>.</summary>
    public static bool TryParseUri(string uri, out DeviceIdentity identity)
    {
        identity = default;
        if (!uri.StartsWith(UriPrefix, StringComparison.Ordinal))
        {
            return false;
        }

        // Neither a tenant nor a device id may contain ':', so the first ":device:" is the separator.
        var rest = uri.AsSpan(UriPrefix.Length);
        int separator = rest.IndexOf(DeviceSeparator, StringComparison.Ordinal);
        if (separator < 0)
        {
            return false;
        }

        var tenant = rest[..separator];
        var device = rest[(separator + DeviceSeparator.Length)..];
        if (!IsTenant(tenant) || !IsDevice(device))
        {
            return false;
        }

        identity = new DeviceIdentity(tenant.ToString(), device.ToString());
        return true;
    }

    /// <summary>
    /// Reads the identity from the certificate's URI SAN. False when there is none, or more than
    /// one Convoy URI (an ambiguous certificate names nobody).
    /// </summary>
    public static bool TryFromCertificate(X509Certificate2 certificate, out DeviceIdentity identity)
    {
        identity = default;
        bool found = false;
        if (!TryReadUris(certificate, out var uris))
        {
            return false;
        }

        foreach (string uri in uris)
        {
            if (TryParseUri(uri, out var candidate))
            {
                if (found)
                {
                    identity = default;
                    return false;
                }

                identity = candidate;
                found = true;
            }
        }

        return found;
    }

    /// <summary>The URI a tenant's own CA carries: <c>urn:convoy:tenant:&lt;tenant&gt;</c>.</summary>
    public static string TenantUri(string tenant) => UriPrefix + tenant;

    /// <summary>
    /// The tenant a CA certificate is bound to by its URI SAN <c>urn:convoy:tenant:&lt;tenant&gt;</c>
    /// (null for a platform CA, which may vouch for any tenant). False when the certificate names
    /// more than one tenant, or its extension cannot be read: such a CA vouches for nobody.
    /// </summary>
    public static bool TryReadBoundTenant(X509Certificate2 authority, out string? tenant)
    {
        tenant = null;
        if (!TryReadUris(authority, out var uris))
        {
            return false;
        }

        foreach (string uri in uris)
        {
            if (uri.StartsWith(UriPrefix, StringComparison.Ordinal) && IsTenant(uri.AsSpan(UriPrefix.Length)))
            {
                string named = uri[UriPrefix.Length..];
                if (tenant is not null && tenant != named)
                {
                    return false;
                }

                tenant = named;
            }
        }

        return true;
    }

    /// <summary>Every URI subject alternative name of the certificate; false when the extension is malformed.</summary>
    private static bool TryReadUris(X509Certificate2 certificate, out List<string> uris)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        uris = [];
        foreach (var extension in certificate.Extensions)
        {
            if (extension.Oid?.Value != SubjectAltNameOid)
            {
                continue;
            }

            try
            {
                var sequence = new AsnReader(extension.RawData, AsnEncodingRules.DER).ReadSequence();
                while (sequence.HasData)
                {
                    var tag = sequence.PeekTag();
                    // uniformResourceIdentifier [6] IA5String (RFC 5280 4.2.1.6)
                    if (tag.TagClass == TagClass.ContextSpecific && tag.TagValue == 6)
                    {
                        uris.Add(sequence.ReadCharacterString(UniversalTagNumber.IA5String, new Asn1Tag(TagClass.ContextSpecific, 6)));
                    }
                    else
                    {
                        sequence.ReadEncodedValue();
                    }
                }
            }
            catch (AsnContentException)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>1..63 characters of [a-z0-9-], not starting with '-'.</summary>
    private static bool IsTenant(ReadOnlySpan<char> tenant) =>
        tenant.Length is >= 1 and <= 63 && tenant[0] != '-' && !tenant.ContainsAnyExcept(TenantCharacters);

    /// <summary>1..64 characters of [A-Za-z0-9._-].</summary>
    private static bool IsDevice(ReadOnlySpan<char> device) =>
        device.Length is >= 1 and <= 64 && !device.ContainsAnyExcept(DeviceCharacters);
}
