using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Convoy.Contracts.Telemetry.V1;
using Convoy.Pki;
using Grpc.Core;

namespace Convoy.EndToEnd.Tests;

/// <summary>
/// Only a device with a certificate from the configured CA that names it can send, and only
/// as itself; every refusal is a clear gRPC status and leaves Kafka untouched.
/// </summary>
public sealed class DeviceAuthenticationTests : IAsyncLifetime
{
    private const string Tenant = "fleet-one";
    private readonly MeterTotals _meters = new();
    private TestCollector _collector = null!;

    public async Task InitializeAsync() => _collector = await TestCollector.StartAsync([Tenant]);

    public async Task DisposeAsync()
    {
        await _collector.DisposeAsync();
        _meters.Dispose();
    }

    [Fact]
    public async Task DeviceWithItsCertificate_IsAcknowledged_AndItsBatchIsInKafka()
    {
        using var certificate = DeviceCertificate("truck-7");

        var acks = await SendAsync(certificate, Batch("truck-7", sequence: 1));

        Assert.Equal(1UL, Assert.Single(acks).AckedSequence);
        var record = Assert.Single(_collector.Telemetry(Tenant));
        Assert.Equal("truck-7", record.Message.Key);
    }

    [Fact]
    public async Task DeviceWithoutCertificate_IsUnauthenticated_AndNothingReachesKafka()
    {
        // The port allows a connection without a client certificate (partners present a token
        // instead), so the call itself is refused, saying what to present.
        using var refused = _collector.Metric("convoy.collector.access.refused");
        var error = await Assert.ThrowsAsync<RpcException>(() => SendAsync(certificate: null, Batch("ghost", sequence: 1)));

        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
        Assert.Contains("client certificate", error.Status.Detail, StringComparison.Ordinal);
        await Eventually.HoldsAsync(() => refused.Sum(("reason", "no-credentials")) == 1, TimeSpan.FromSeconds(5),
            "the refusal to be counted as no-credentials");
        Assert.Empty(_collector.Telemetry(Tenant));
    }

    [Fact]
    public async Task DeviceWithCertificateFromUnknownCa_CannotSend_AndNothingReachesKafka()
    {
        using var rogueCa = CertificateIssuer.CreateCertificateAuthority("Rogue CA", TimeSpan.FromDays(1));
        using var certificate = CertificateIssuer.IssueDevice(rogueCa, new DeviceIdentity(Tenant, "rogue"), TimeSpan.FromDays(1));

        var error = await Assert.ThrowsAsync<RpcException>(() => SendAsync(certificate, Batch("rogue", sequence: 1)));

        AssertRefusedAtTls(error);
        Assert.Empty(_collector.Telemetry(Tenant));
        // Audited with the certificate's serial and the address it came from.
        Assert.Contains(_collector.Logs.Entries, e => e.Event == "DeviceCertificateRefused"
            && e.Message.Contains(certificate.SerialNumber, StringComparison.Ordinal) && e.Message.Contains("from 127.0.0.1:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task CertificateWithoutIdentityUri_CannotSend_AndNothingReachesKafka()
    {
        using var certificate = CertificateWithoutIdentity(_collector.Certificates.Authority);

        var error = await Assert.ThrowsAsync<RpcException>(() => SendAsync(certificate, Batch("nameless", sequence: 1)));

        AssertRefusedAtTls(error);
        Assert.Empty(_collector.Telemetry(Tenant));
    }

    [Fact]
    public async Task BatchNamingAnotherDevice_IsPermissionDenied_AndNothingReachesKafka()
    {
        using var certificate = DeviceCertificate("truck-8");

        var error = await Assert.ThrowsAsync<RpcException>(() => SendAsync(certificate, Batch("truck-9", sequence: 1)));

        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
        Assert.Contains("truck-9", error.Status.Detail, StringComparison.Ordinal);
        await Eventually.HoldsAsync(() => _meters["convoy.collector.access.refused", Tenant] >= 1, TimeSpan.FromSeconds(5), "the refusal to be counted");
        Assert.Empty(_collector.Telemetry(Tenant));
    }

    /// <summary>
    /// A refused TLS handshake never reaches a handler, so the client reports the broken
    /// connection itself: UNAVAILABLE, or INTERNAL when the TLS layer failed mid-way.
    /// </summary>
    private static void AssertRefusedAtTls(RpcException error) =>
        Assert.True(error.StatusCode is StatusCode.Unavailable or StatusCode.Internal, $"expected a connection failure, got {error.Status}");

    private X509Certificate2 DeviceCertificate(string device)
    {
        var (certificate, key) = _collector.Certificates.EnsureDevice(new DeviceIdentity(Tenant, device));
        return CertificateIssuer.LoadPem(certificate, key);
    }

    private static TelemetryBatch Batch(string device, ulong sequence) => TestDevice.Batch(device, sequence);

    private async Task<List<IngestAck>> SendAsync(X509Certificate2? certificate, TelemetryBatch batch)
    {
        using var device = new TestDevice(_collector.Address, certificate, CertificateIssuer.LoadPemCertificates(_collector.Certificates.AuthorityCertificatePath));
        return await device.SendAsync(batch);
    }

    private static X509Certificate2 CertificateWithoutIdentity(X509Certificate2 authority)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=nameless", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("nameless.example");
        request.CertificateExtensions.Add(names.Build());
        using var authorityKey = authority.GetECDsaPrivateKey()!;
        using var issued = request.Create(authority.SubjectName, X509SignatureGenerator.CreateForECDsa(authorityKey),
            DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1), [1, 2, 3, 4]);
        return issued.CopyWithPrivateKey(key);
    }
}
