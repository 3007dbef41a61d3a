using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Convoy.Pki;

/// <summary>
/// Whether a certificate chains to one of the given roots, and only those: the machine's trust
/// store is never consulted, since Convoy's CAs are its own. Online revocation checks are off
/// (a truck or a closed network would stall on them); revocation is the CRL file's job.
/// </summary>
public static class CertificateTrust
{
    public static readonly Oid ClientAuthentication = new("1.3.6.1.5.5.7.3.2");

    /// <summary>
    /// True when <paramref name="certificate"/> chains to <paramref name="roots"/> at
    /// <paramref name="at"/> (now when null), with <paramref name="usage"/> when given and any
    /// <paramref name="intermediates"/> the peer sent. Otherwise <paramref name="problem"/> says why.
    /// </summary>
    public static bool IsTrusted(X509Certificate2 certificate, X509Certificate2Collection roots, out string? problem,
        Oid? usage = null, DateTime? at = null, X509ChainElementCollection? intermediates = null) =>
        IsTrusted(certificate, roots, out problem, out _, usage, at, intermediates);

    /// <summary>
    /// As above, and <paramref name="boundTenant"/> is the tenant that a CA of the chain is bound
    /// to (<see cref="DeviceIdentity.TryReadBoundTenant"/>), or null when every CA of the chain is a
    /// platform CA. A chain whose CAs name different tenants, or one that cannot be read, is not trusted.
    /// </summary>
    public static bool IsTrusted(X509Certificate2 certificate, X509Certificate2Collection roots, out string? problem, out string? boundTenant,
        Oid? usage = null, DateTime? at = null, X509ChainElementCollection? intermediates = null)
    {
        boundTenant = null;
        ArgumentNullException.ThrowIfNull(certificate);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (at is { } time)
        {
            chain.ChainPolicy.VerificationTime = time;
        }

        if (usage is not null)
        {
            chain.ChainPolicy.ApplicationPolicy.Add(usage);
        }

        if (intermediates is not null)
        {
            foreach (var element in intermediates)
            {
                if (!element.Certificate.Equals(certificate))
                {
                    chain.ChainPolicy.ExtraStore.Add(element.Certificate);
                }
            }
        }

        if (chain.Build(certificate))
        {
            problem = null;
            for (int i = 1; i < chain.ChainElements.Count; i++)
            {
                var authority = chain.ChainElements[i].Certificate;
                if (!DeviceIdentity.TryReadBoundTenant(authority, out string? tenant)
                    || (tenant is not null && boundTenant is not null && tenant != boundTenant))
                {
                    problem = $"the CA {authority.Subject} names more than one tenant";
                    boundTenant = null;
                    return false;
                }

                boundTenant ??= tenant;
            }

            return true;
        }

        problem = chain.ChainStatus.Length > 0 ? chain.ChainStatus[0].StatusInformation.Trim() : "the chain could not be built";
        return false;
    }
}
