using Convoy.Pki;

namespace Convoy.Collector.Tests;

/// <summary>One CRL file may hold the lists of several CAs (one per tenant's own CA).</summary>
public sealed class RevocationListUnitTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("convoy-crl-").FullName;

    [Fact]
    public void Load_FileWithTheCrlsOfTwoCas_KnowsTheRevokedCertificatesOfBoth()
    {
        using var platform = CertificateIssuer.CreateCertificateAuthority("Platform CA", TimeSpan.FromDays(1));
        using var acmeCa = CertificateIssuer.CreateCertificateAuthority("ACME CA", TimeSpan.FromDays(1), tenant: "acme");
        using var revokedByPlatform = CertificateIssuer.IssueDevice(platform, new DeviceIdentity("globex", "t1"), TimeSpan.FromDays(1));
        using var revokedByAcme = CertificateIssuer.IssueDevice(acmeCa, new DeviceIdentity("acme", "t2"), TimeSpan.FromDays(1));
        using var stillGood = CertificateIssuer.IssueDevice(acmeCa, new DeviceIdentity("acme", "t3"), TimeSpan.FromDays(1));
        string platformCrl = Path.Combine(_folder, "platform.crl");
        string acmeCrl = Path.Combine(_folder, "acme.crl");
        RevocationList.Revoke(platform, revokedByPlatform, platformCrl, TimeSpan.FromDays(1));
        RevocationList.Revoke(acmeCa, revokedByAcme, acmeCrl, TimeSpan.FromDays(1));
        string both = Path.Combine(_folder, "all.crl");
        File.WriteAllText(both, File.ReadAllText(platformCrl) + File.ReadAllText(acmeCrl));

        var list = RevocationList.Load(both);

        Assert.Equal(2, list.Count);
        Assert.True(list.IsRevoked(revokedByPlatform));
        Assert.True(list.IsRevoked(revokedByAcme));
        Assert.False(list.IsRevoked(stillGood));
    }

    [Fact]
    public void TenantCa_IsBoundToItsTenant_PlatformCaToNone()
    {
        using var platform = CertificateIssuer.CreateCertificateAuthority("Platform CA", TimeSpan.FromDays(1));
        using var acmeCa = CertificateIssuer.CreateCertificateAuthority("ACME CA", TimeSpan.FromDays(1), tenant: "acme");

        Assert.True(DeviceIdentity.TryReadBoundTenant(platform, out string? none));
        Assert.True(DeviceIdentity.TryReadBoundTenant(acmeCa, out string? acme));

        Assert.Null(none);
        Assert.Equal("acme", acme);
        Assert.Throws<ArgumentException>(() => CertificateIssuer.IssueDevice(acmeCa, new DeviceIdentity("globex", "t1"), TimeSpan.FromDays(1)));
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
