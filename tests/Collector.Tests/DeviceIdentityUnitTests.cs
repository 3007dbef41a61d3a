using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Convoy.Pki;

namespace Convoy.Collector.Tests;

public sealed class DeviceIdentityUnitTests
{
    [Fact]
    public void TryFromCertificate_IssuedDeviceCertificate_NamesTenantAndDevice()
    {
        using var ca = CertificateIssuer.CreateCertificateAuthority("Test CA", TimeSpan.FromDays(1));
        using var device = CertificateIssuer.IssueDevice(ca, DeviceIdentity.Create("acme", "truck-042"), TimeSpan.FromDays(1));

        Assert.True(DeviceIdentity.TryFromCertificate(device, out var identity));
        Assert.Equal(new DeviceIdentity("acme", "truck-042"), identity);
    }

    [Fact]
    public void TryFromCertificate_TwoIdentityUris_NamesNobody()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=two-faced", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddUri(new Uri("urn:convoy:tenant:acme:device:one"));
        names.AddUri(new Uri("urn:convoy:tenant:globex:device:two"));
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(1));

        Assert.False(DeviceIdentity.TryFromCertificate(certificate, out _));
    }

    [Theory]
    [InlineData("urn:convoy:tenant:acme:device:truck-1", true)]
    [InlineData("urn:convoy:tenant:Acme:device:truck-1", false)]    // tenants are lowercase (they name topics)
    [InlineData("urn:convoy:tenant:acme.eu:device:truck-1", false)] // no dots in a tenant
    [InlineData("urn:convoy:tenant::device:truck-1", false)]
    [InlineData("urn:convoy:tenant:acme:device:", false)]
    [InlineData("urn:convoy:tenant:acme:device:truck/1", false)]
    [InlineData("https://acme.example/truck-1", false)]
    [InlineData("urn:convoy:tenant:acme:device:truck-1\n", false)] // a trailing newline is not part of any id
    [InlineData("urn:convoy:tenant:-acme:device:truck-1", false)]
    [InlineData("urn:convoy:tenant:acme:device:truck-1:device:x", false)]
    [InlineData("URN:convoy:tenant:acme:device:truck-1", false)]
    public void TryParseUri_AcceptsOnlyTheDocumentedForm(string uri, bool valid)
    {
        Assert.Equal(valid, DeviceIdentity.TryParseUri(uri, out _));
    }

    [Fact]
    public void TryParseUri_ReadsTenantAndDevice_AtTheirLongest()
    {
        string tenant = "a" + new string('-', 61) + "z";
        string device = new('D', 64);

        Assert.True(DeviceIdentity.TryParseUri($"urn:convoy:tenant:{tenant}:device:{device}", out var identity));
        Assert.Equal(new DeviceIdentity(tenant, device), identity);
        Assert.False(DeviceIdentity.TryParseUri($"urn:convoy:tenant:{tenant}x:device:{device}", out _));
        Assert.False(DeviceIdentity.TryParseUri($"urn:convoy:tenant:{tenant}:device:{device}x", out _));
    }

    [Theory]
    [InlineData("acme", true)]
    [InlineData("7-eleven", true)]
    [InlineData("-acme", false)]
    [InlineData("acme_eu", false)]
    [InlineData("acme\n", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void IsValidTenant_IsLowercaseLettersDigitsAndDashes(string? tenant, bool valid)
    {
        Assert.Equal(valid, DeviceIdentity.IsValidTenant(tenant));
    }

    [Theory]
    [InlineData("truck-042", true)]
    [InlineData("Truck_7.eu", true)]
    [InlineData(".", true)]
    [InlineData("truck 7", false)]
    [InlineData("truck/7", false)]
    [InlineData("truck:7", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void IsValidDevice_IsLettersDigitsDotsDashesAndUnderscores(string? device, bool valid)
    {
        Assert.Equal(valid, DeviceIdentity.IsValidDevice(device));
    }

    [Fact]
    public void TryReadBoundTenant_ReadsTheTenantUri_AndRefusesTwoTenants()
    {
        using var acme = Authority("urn:convoy:tenant:acme");
        using var notATenant = Authority("urn:convoy:tenant:Acme");
        using var twoTenants = Authority("urn:convoy:tenant:acme", "urn:convoy:tenant:globex");

        Assert.True(DeviceIdentity.TryReadBoundTenant(acme, out string? tenant));
        Assert.Equal("acme", tenant);
        Assert.True(DeviceIdentity.TryReadBoundTenant(notATenant, out tenant));
        Assert.Null(tenant); // no tenant URI: a platform CA
        Assert.False(DeviceIdentity.TryReadBoundTenant(twoTenants, out _));
    }

    private static X509Certificate2 Authority(params string[] uris)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=tenant CA", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        foreach (string uri in uris)
        {
            names.AddUri(new Uri(uri));
        }

        request.CertificateExtensions.Add(names.Build());
        return request.CreateSelfSigned(DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(1));
    }
}
