using Convoy.EdgeAgent.Uplink;
using Convoy.Files;
using Convoy.Pki;
using Microsoft.Extensions.Time.Testing;

namespace Convoy.EdgeAgent.Tests;

/// <summary>The agent's client certificate follows its files on disk: a rotation is presented at the next handshake, a half-written one never.</summary>
public sealed class DeviceCertificateUnitTests : IDisposable
{
    private readonly TempFolder _folder = new("device-certificate");
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly TestLogs _logs = new();

    [Fact]
    public void RotatedPair_IsPresentedWithinASecond_AndLogged()
    {
        var dev = DevCertificates.Ensure(_folder.File("pki"));
        var (certificate, key) = dev.EnsureDevice(new DeviceIdentity("acme", "truck-1"));
        var (rotatedCertificate, rotatedKey) = dev.EnsureDevice(new DeviceIdentity("acme", "truck-1-next"));
        var device = new DeviceCertificate("acme/truck-1", certificate, key, _time, _logs);
        string before = device.Current.Thumbprint;

        Replace(rotatedCertificate, certificate);
        Replace(rotatedKey, key);
        _time.Advance(FileFollower<object>.CheckEvery);

        string expected = CertificateIssuer.LoadPem(rotatedCertificate, rotatedKey).Thumbprint;
        Assert.NotEqual(before, expected);
        Assert.Equal(expected, device.Current.Thumbprint);
        Assert.Equal(1, _logs.Count("DeviceCertificateReloaded"));
        _logs.AssertNoUnexpectedErrors();
    }

    [Fact]
    public void HalfWrittenRotation_KeepsPresentingThePreviousPair_UntilTheKeyArrives()
    {
        var dev = DevCertificates.Ensure(_folder.File("pki"));
        var (certificate, key) = dev.EnsureDevice(new DeviceIdentity("acme", "truck-2"));
        var (rotatedCertificate, rotatedKey) = dev.EnsureDevice(new DeviceIdentity("acme", "truck-2-next"));
        var device = new DeviceCertificate("acme/truck-2", certificate, key, _time, _logs);
        string before = device.Current.Thumbprint;

        Replace(rotatedCertificate, certificate); // the key of the new pair is not there yet
        _time.Advance(FileFollower<object>.CheckEvery);
        Assert.Equal(before, device.Current.Thumbprint);
        _time.Advance(FileFollower<object>.CheckEvery);
        Assert.Equal(before, device.Current.Thumbprint);
        Assert.Equal(1, _logs.Count("DeviceCertificateReloadFailed"));

        Replace(rotatedKey, key);
        _time.Advance(FileFollower<object>.CheckEvery);
        Assert.NotEqual(before, device.Current.Thumbprint);
        Assert.Equal(1, _logs.Count("DeviceCertificateReloaded"));
    }

    /// <summary>As fleet management rotates: the new file renamed over the old, with a write time of its own.</summary>
    private void Replace(string source, string target)
    {
        string staged = _folder.File(Guid.NewGuid().ToString("N"));
        File.Copy(source, staged);
        File.SetLastWriteTimeUtc(staged, DateTime.UtcNow.AddMinutes(1));
        File.Move(staged, target, overwrite: true);
    }

    public void Dispose()
    {
        _logs.Dispose();
        _folder.Dispose();
    }
}
