using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Convoy.Pki;
using Grpc.Core;

namespace Convoy.EndToEnd.Tests;

/// <summary>
/// Both trust models at once: a platform CA that vouches for any tenant, and a tenant's own CA
/// (<c>pki create-ca --tenant</c>) whose certificates are accepted for that tenant only, even
/// when the tenant, holding its CA key, signs one that claims another tenant.
/// </summary>
public sealed class TenantCaTests : IAsyncLifetime
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "convoy-tenant-ca-" + Guid.NewGuid().ToString("N"));
    private TestCollector _collector = null!;

    private string Platform => Path.Combine(_folder, "platform-ca");

    private string AcmeCa => Path.Combine(_folder, "acme-ca");

    private string Roots => Path.Combine(_folder, "roots.pem");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_folder);
        Assert.Equal(0, Pki("create-ca", "--out", Platform, "--name", "Platform CA", "--days", "30"));
        Assert.Equal(0, Pki("create-ca", "--out", AcmeCa, "--tenant", "acme", "--days", "30"));
        Assert.Equal(0, Pki("issue-server", "--ca", Platform, "--out", Path.Combine(_folder, "server"), "--dns", "localhost", "--ip", "127.0.0.1"));
        Assert.Equal(0, Pki("issue-device", "--ca", AcmeCa, "--out", Path.Combine(_folder, "out"), "--tenant", "acme", "--device", "own-ca-truck"));
        Assert.Equal(0, Pki("issue-device", "--ca", Platform, "--out", Path.Combine(_folder, "out"), "--tenant", "acme", "--device", "platform-truck"));
        Assert.Equal(0, Pki("issue-device", "--ca", Platform, "--out", Path.Combine(_folder, "out"), "--tenant", "globex", "--device", "globex-truck"));
        await File.WriteAllTextAsync(Roots, await File.ReadAllTextAsync(Path.Combine(Platform, "ca.crt")) + await File.ReadAllTextAsync(Path.Combine(AcmeCa, "ca.crt")));
        _collector = await TestCollector.StartAsync(new TestCollectorSetup
        {
            Tenants = ["acme", "globex"],
            DevCertificates = false,
            Folder = _folder,
            Switches = [$"--Collector:ServerCertificate={Path.Combine(_folder, "server", "server.crt")}", $"--Collector:ServerKey={Path.Combine(_folder, "server", "server.key")}", $"--Collector:DeviceTrustRoots={Roots}"],
        });
    }

    public async Task DisposeAsync()
    {
        await _collector.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    [Theory]
    [InlineData("acme", "own-ca-truck")]
    [InlineData("acme", "platform-truck")]
    [InlineData("globex", "globex-truck")]
    public async Task DeviceOfTheTenantItsCaVouchesFor_IsAccepted(string tenant, string device)
    {
        using var truck = Device(CertificateIssuer.LoadPem(DeviceFile(tenant, device, ".crt"), DeviceFile(tenant, device, ".key")));

        var acks = await truck.SendAsync(TestDevice.Batch(device, 1));

        Assert.Equal(1UL, acks[^1].AckedSequence);
    }

    [Fact]
    public async Task CertificateFromACompanysOwnCa_ClaimingAnotherTenant_IsRefusedInTheHandshake_AndNothingIsWritten()
    {
        using var meters = new MeterTotals();
        // Acme holds its CA's key, and signs a certificate that claims to be a Globex truck.
        using var forged = Forge(CertificateIssuer.LoadPem(Path.Combine(AcmeCa, "ca.crt"), Path.Combine(AcmeCa, "ca.key")), new DeviceIdentity("globex", "globex-truck"));
        using var impostor = Device(forged);

        var refused = await Assert.ThrowsAsync<RpcException>(() => impostor.SendAsync(TestDevice.Batch("globex-truck", 1)));

        Assert.True(refused.StatusCode is StatusCode.Unavailable or StatusCode.Internal, $"a failed handshake, not {refused.StatusCode}");
        Assert.Equal(1, meters["convoy.collector.access.refused", "globex"]);
        Assert.Empty(_collector.Telemetry("globex"));
    }

    [Fact]
    public void PkiIssueDevice_WithAnotherTenantsCa_SaysWhyAndExitsTwo()
    {
        var errors = new StringWriter();

        int code = PkiCommands.Run(["issue-device", "--ca", AcmeCa, "--out", _folder, "--tenant", "globex", "--device", "x"], TextWriter.Null, errors);

        Assert.Equal(2, code);
        Assert.Contains("this CA belongs to tenant acme; it cannot issue certificates for tenant globex", errors.ToString(), StringComparison.Ordinal);
    }

    /// <summary>What a tenant could do with its own CA key and the .NET API, bypassing the PKI command.</summary>
    private static X509Certificate2 Forge(X509Certificate2 authority, DeviceIdentity claimed)
    {
        using var authorityKey = authority.GetECDsaPrivateKey()!;
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={claimed.Device}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([CertificateTrust.ClientAuthentication], false));
        var names = new SubjectAlternativeNameBuilder();
        names.AddUri(new Uri(claimed.ToUri()));
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(authority, true, false));
        byte[] serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using var issued = request.Create(authority.SubjectName, X509SignatureGenerator.CreateForECDsa(authorityKey),
            DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1), serial);
        return issued.CopyWithPrivateKey(key);
    }

    private string DeviceFile(string tenant, string device, string extension) => Path.Combine(_folder, "out", "devices", tenant, device + extension);

    private TestDevice Device(X509Certificate2 certificate) =>
        new(_collector.Address, certificate, CertificateIssuer.LoadPemCertificates(Path.Combine(Platform, "ca.crt")));

    private static int Pki(params string[] args) => PkiCommands.Run(args, TextWriter.Null, TextWriter.Null);
}
