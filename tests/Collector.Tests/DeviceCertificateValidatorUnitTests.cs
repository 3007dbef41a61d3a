using System.Diagnostics.Metrics;
using System.Security.Cryptography.X509Certificates;
using Convoy.Collector.Authentication;
using Convoy.Pki;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Convoy.Collector.Tests;

/// <summary>
/// The handshake check remembers chains it built (a fleet reconnecting presents the same
/// certificates again), but never in a way that lets through what must be refused.
/// </summary>
public sealed class DeviceCertificateValidatorUnitTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly X509Certificate2 _ca = CertificateIssuer.CreateCertificateAuthority("Fleet CA", TimeSpan.FromDays(30));
    private readonly X509Certificate2 _otherCa = CertificateIssuer.CreateCertificateAuthority("Other CA", TimeSpan.FromDays(30));
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private X509Certificate2Collection _roots;
    private RevocationList _revoked = RevocationList.Empty;

    public DeviceCertificateValidatorUnitTests() => _roots = [_ca];

    [Fact]
    public void Validate_SameCertificateAgain_IsAcceptedFromMemory()
    {
        var validator = Validator();
        using var truck = CertificateIssuer.IssueDevice(_ca, new DeviceIdentity("acme", "truck-1"), TimeSpan.FromDays(10));

        Assert.True(validator.Validate(truck, null, System.Net.Security.SslPolicyErrors.None));
        Assert.Equal(1, validator.RememberedChains);
        Assert.True(validator.Validate(truck, null, System.Net.Security.SslPolicyErrors.None));
        Assert.Equal(1, validator.RememberedChains);
    }

    [Fact]
    public void Validate_AfterTheTrustRootsChanged_ChecksTheChainAgainAndRefuses()
    {
        var validator = Validator();
        using var truck = CertificateIssuer.IssueDevice(_ca, new DeviceIdentity("acme", "truck-1"), TimeSpan.FromDays(10));
        Assert.True(validator.Validate(truck, null, System.Net.Security.SslPolicyErrors.None));

        _roots = [_otherCa]; // the operator retired the fleet CA

        Assert.False(validator.Validate(truck, null, System.Net.Security.SslPolicyErrors.None));
    }

    [Fact]
    public void Validate_RevokedAfterItWasRemembered_IsRefused()
    {
        string folder = Directory.CreateTempSubdirectory("convoy-crl-").FullName;
        var validator = Validator();
        using var truck = CertificateIssuer.IssueDevice(_ca, new DeviceIdentity("acme", "truck-1"), TimeSpan.FromDays(10));
        Assert.True(validator.Validate(truck, null, System.Net.Security.SslPolicyErrors.None));

        string crl = Path.Combine(folder, "revoked.crl");
        RevocationList.Revoke(_ca, truck, crl, TimeSpan.FromDays(1));
        _revoked = RevocationList.Load(crl);

        Assert.False(validator.Validate(truck, null, System.Net.Security.SslPolicyErrors.None));
        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public void Validate_PastTheCertificatesExpiry_IsRefusedThoughRemembered()
    {
        var validator = Validator();
        using var truck = CertificateIssuer.IssueDevice(_ca, new DeviceIdentity("acme", "truck-1"), TimeSpan.FromDays(1));
        Assert.True(validator.Validate(truck, null, System.Net.Security.SslPolicyErrors.None));

        _time.Advance(TimeSpan.FromDays(2));

        Assert.False(validator.Validate(truck, null, System.Net.Security.SslPolicyErrors.None));
    }

    private DeviceCertificateValidator Validator() =>
        new(() => _roots, () => _revoked, NullLogger<DeviceCertificateValidator>.Instance, _time, new CollectorMetrics(_services.GetRequiredService<IMeterFactory>()));

    public void Dispose()
    {
        _ca.Dispose();
        _otherCa.Dispose();
        _services.Dispose();
    }
}
