using Convoy.Pki;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Convoy.EndToEnd.Tests;

/// <summary>
/// The operators' PKI commands make everything a collector and its devices need, and revoking a
/// device closes its open stream within seconds and bars it from reconnecting, without a restart.
/// </summary>
public sealed class PkiAndRevocationTests : IAsyncLifetime
{
    private const string Tenant = "pki-fleet";
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "convoy-pki-" + Guid.NewGuid().ToString("N"));
    private TestCollector _collector = null!;

    private string Ca => Path.Combine(_folder, "ca");

    private string Crl => Path.Combine(_folder, "ca", "revoked.crl");

    private string DeviceFile(string device, string extension) => Path.Combine(_folder, "out", "devices", Tenant, device + extension);

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_folder);
        string devices = Path.Combine(_folder, "devices.txt");
        await File.WriteAllLinesAsync(devices, ["# the fleet", "truck-a", "truck-b", "retired-1"]);
        Assert.Equal(0, Pki("create-ca", "--out", Ca, "--name", "Test Fleet CA", "--days", "30"));
        Assert.Equal(0, Pki("issue-server", "--ca", Ca, "--out", Path.Combine(_folder, "server"), "--dns", "localhost", "--ip", "127.0.0.1"));
        Assert.Equal(0, Pki("issue-device", "--ca", Ca, "--out", Path.Combine(_folder, "out"), "--tenant", Tenant, "--devices-file", devices));
        Assert.Equal(0, Pki("revoke", "--ca", Ca, "--cert", DeviceFile("retired-1", ".crt")));
        _collector = await TestCollector.StartAsync(new TestCollectorSetup
        {
            Tenants = [Tenant],
            DevCertificates = false,
            Folder = _folder,
            Switches = [$"--Collector:ServerCertificate={Path.Combine(_folder, "server", "server.crt")}", $"--Collector:ServerKey={Path.Combine(_folder, "server", "server.key")}", $"--Collector:DeviceTrustRoots={Path.Combine(Ca, "ca.crt")}", $"--Collector:RevocationList={Crl}"],
        });
    }

    public async Task DisposeAsync()
    {
        await _collector.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task RevokingADevice_ClosesItsOpenStreamAndBarsReconnecting_OthersCarryOn()
    {
        using var truckA = Device("truck-a");
        using var truckB = Device("truck-b");
        using var retired = Device("retired-1");
        await Assert.ThrowsAsync<RpcException>(() => retired.SendAsync(TestDevice.Batch("retired-1", 1))); // revoked before the start
        using var open = await truckA.OpenAsync();
        await open.RequestStream.WriteAsync(TestDevice.Batch("truck-a", 1));
        Assert.True(await open.ResponseStream.MoveNext(CancellationToken.None));

        Assert.Equal(0, Pki("revoke", "--ca", Ca, "--cert", DeviceFile("truck-a", ".crt")));
        var closed = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            while (await open.ResponseStream.MoveNext(deadline.Token))
            {
            }
        });

        Assert.True(closed.StatusCode == StatusCode.PermissionDenied, closed.ToString());
        Assert.Contains("revoked", closed.Status.Detail, StringComparison.Ordinal);
        using var truckAAgain = Device("truck-a");
        await Assert.ThrowsAsync<RpcException>(() => truckAAgain.SendAsync(TestDevice.Batch("truck-a", 2)));
        var acks = await truckB.SendAsync(TestDevice.Batch("truck-b", 1));
        Assert.Equal(1UL, acks[^1].AckedSequence);
    }

    [Fact]
    public async Task AgentCertificateRotatedAndOldOneRevoked_AgentCarriesOnWithTheNewOne()
    {
        using var meters = new MeterTotals();
        Assert.Equal(0, Pki("issue-device", "--ca", Ca, "--out", Path.Combine(_folder, "out"), "--tenant", Tenant, "--device", "truck-001"));
        using var agent = Convoy.EdgeAgent.EdgeAgentHost.Build(
        [
            $"--EdgeAgent:Collectors:0={_collector.Address}",
            $"--EdgeAgent:TrustRoots={Path.Combine(Ca, "ca.crt")}",
            $"--EdgeAgent:CertificatesFolder={Path.Combine(_folder, "out")}",
            $"--EdgeAgent:Simulator:Tenant={Tenant}",
            "--EdgeAgent:Simulator:Trucks=1",
            "--EdgeAgent:Simulator:TimeScale=600",
            "--EdgeAgent:Simulator:StartInPast=03:00:00",
            "--EdgeAgent:Simulator:BatchSpan=00:01:00",
            "--EdgeAgent:ReconnectDelay=00:00:00.2",
        ]);
        await agent.StartAsync();
        var buffer = agent.Services.GetRequiredService<Convoy.EdgeAgent.DeviceRegistry>().All[0].Buffer;
        await Eventually.HoldsAsync(() => buffer.Acked >= 5, TimeSpan.FromSeconds(30), "the truck to stream");

        // Fleet management pushes a new certificate to the truck, then the operator revokes the old one.
        string old = Path.Combine(_folder, "old-truck-001.crt");
        File.Copy(DeviceFile("truck-001", ".crt"), old);
        Assert.Equal(0, Pki("issue-device", "--ca", Ca, "--out", Path.Combine(_folder, "out"), "--tenant", Tenant, "--device", "truck-001"));
        Assert.Equal(0, Pki("revoke", "--ca", Ca, "--cert", old));
        ulong atRevocation = buffer.Acked;

        await Eventually.HoldsAsync(() => meters["convoy.collector.access.refused", Tenant] >= 1, TimeSpan.FromSeconds(15), "the old certificate's stream to be closed");
        await Eventually.HoldsAsync(() => buffer.Acked >= atRevocation + 20, TimeSpan.FromSeconds(30), "the truck to go on with its new certificate");
        await agent.StopAsync();
    }

    [Fact]
    public void PkiCommand_WithBadInput_SaysWhatIsWrongAndExitsTwo()
    {
        var errors = new StringWriter();

        int code = PkiCommands.Run(["issue-device", "--ca", Ca, "--out", _folder, "--tenant", "Not A Tenant", "--device", "x"], TextWriter.Null, errors);

        Assert.Equal(2, code);
        Assert.Contains("Tenant 'Not A Tenant' is not 1..63 characters of [a-z0-9-]", errors.ToString(), StringComparison.Ordinal);
    }

    private static int Pki(params string[] args) => PkiCommands.Run(args, TextWriter.Null, TextWriter.Null);

    private TestDevice Device(string name) => new(_collector.Address,
        CertificateIssuer.LoadPem(DeviceFile(name, ".crt"), DeviceFile(name, ".key")),
        CertificateIssuer.LoadPemCertificates(Path.Combine(Ca, "ca.crt")));
}
