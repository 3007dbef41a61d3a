using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Convoy.Contracts.Telemetry.V1;
using Convoy.Pki;
using Grpc.Core;

namespace Convoy.EndToEnd.Tests;

/// <summary>
/// Operators rotate certificates without restarting the collector: a new server certificate and
/// new device trust roots apply to new connections, and an open, healthy stream carries on.
/// </summary>
public sealed class CertificateRotationTests : IAsyncLifetime
{
    private const string Tenant = "rotating";
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "convoy-rotation-" + Guid.NewGuid().ToString("N"));
    private readonly X509Certificate2 _oldCa = CertificateIssuer.CreateCertificateAuthority("Old Device CA", TimeSpan.FromDays(2));
    private readonly X509Certificate2 _newCa = CertificateIssuer.CreateCertificateAuthority("New Device CA", TimeSpan.FromDays(2));
    private TestCollector _collector = null!;
    private string? _serial;

    private string ServerCertificate => Path.Combine(_folder, "server.crt");

    private string ServerKey => Path.Combine(_folder, "server.key");

    private string DeviceRoots => Path.Combine(_folder, "device-roots.pem");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_folder);
        using (var server = CertificateIssuer.IssueServer(_oldCa, ["localhost"], [IPAddress.Loopback], TimeSpan.FromDays(1)))
        {
            CertificateIssuer.WritePem(server, ServerCertificate, ServerKey);
        }

        await File.WriteAllTextAsync(DeviceRoots, _oldCa.ExportCertificatePem());
        _collector = await TestCollector.StartAsync(new TestCollectorSetup
        {
            Tenants = [Tenant],
            DevCertificates = false,
            Folder = _folder,
            Switches = [$"--Collector:ServerCertificate={ServerCertificate}", $"--Collector:ServerKey={ServerKey}", $"--Collector:DeviceTrustRoots={DeviceRoots}"],
        });
    }

    public async Task DisposeAsync()
    {
        await _collector.DisposeAsync();
        _oldCa.Dispose();
        _newCa.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task RotatedServerCertificateAndTrustRoots_ApplyToNewConnections_OpenStreamCarriesOn()
    {
        using var oldDevice = Device(_oldCa, "old-truck");
        using var newDevice = Device(_newCa, "new-truck");
        using var openStream = await oldDevice.OpenAsync();
        await openStream.RequestStream.WriteAsync(TestDevice.Batch("old-truck", 1));
        Assert.True(await openStream.ResponseStream.MoveNext(CancellationToken.None));
        await Assert.ThrowsAsync<RpcException>(() => newDevice.SendAsync(TestDevice.Batch("new-truck", 1)));
        string oldServerSerial = await ServerSerialAsync();

        // Rotate: the server gets a new certificate, devices of the new CA replace the old. Key and
        // certificate are two files: a reload that falls between the two renames finds a key that
        // does not match the certificate, logs it and keeps serving the old pair until the next.
        _collector.Logs.ExpectErrors("CertificatesReloadFailed");
        using (var server = CertificateIssuer.IssueServer(_newCa, ["localhost"], [IPAddress.Loopback], TimeSpan.FromDays(1)))
        {
            WriteAtomically(ServerKey, server.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
            WriteAtomically(ServerCertificate, server.ExportCertificatePem());
        }

        WriteAtomically(DeviceRoots, _newCa.ExportCertificatePem());

        List<IngestAck>? accepted = null;
        await Eventually.HoldsAsync(() =>
        {
            try
            {
                accepted = newDevice.SendAsync(TestDevice.Batch("new-truck", 1)).GetAwaiter().GetResult();
                return true;
            }
            catch (RpcException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(15), "a device of the new CA to be accepted");

        Assert.Equal(1UL, accepted![^1].AckedSequence);
        Assert.NotEqual(oldServerSerial, await ServerSerialAsync());
        using var oldDeviceAgain = Device(_oldCa, "old-truck");
        await Assert.ThrowsAsync<RpcException>(() => oldDeviceAgain.SendAsync(TestDevice.Batch("old-truck", 2)));
        // The stream opened before the rotation is healthy and carries on.
        await openStream.RequestStream.WriteAsync(TestDevice.Batch("old-truck", 2));
        Assert.True(await openStream.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(2UL, openStream.ResponseStream.Current.AckedSequence);
    }

    private TestDevice Device(X509Certificate2 ca, string name)
    {
        var certificate = CertificateIssuer.IssueDevice(ca, new DeviceIdentity(Tenant, name), TimeSpan.FromDays(1));
        return new TestDevice(_collector.Address, certificate, [_oldCa, _newCa]);
    }

    /// <summary>The serial number of the certificate the collector presents to a new connection.</summary>
    private async Task<string> ServerSerialAsync()
    {
        var address = _collector.Address;
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, address.Port);
        await using var tls = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            ApplicationProtocols = [SslApplicationProtocol.Http2],
            RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            {
                // Validated against both CAs, as a device trusting either would; the serial is what the test reads.
                var server = (X509Certificate2)certificate!;
                _serial = server.SerialNumber;
                return CertificateTrust.IsTrusted(server, [_oldCa, _newCa], out _);
            },
        });
        return _serial ?? throw new InvalidOperationException("no server certificate seen");
    }

    private static void WriteAtomically(string path, string text)
    {
        string temporary = path + ".new";
        File.WriteAllText(temporary, text + "\n");
        File.Move(temporary, path, overwrite: true);
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddSeconds(1)); // a new stamp even within the file system's clock resolution
    }
}
