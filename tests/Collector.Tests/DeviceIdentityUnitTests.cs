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
    public void TryParseUri_AcceptsOnlyTheDocumentedForm(string uri, bool valid)
    {
        Assert.Equal(valid, DeviceIdentity.TryParseUri(uri, out _));
    }
}
