using System.Security.Cryptography.X509Certificates;
using System.Text;
using Confluent.Kafka;
using Convoy.Contracts.Fleet.V1;
using Convoy.FleetHistory.Store.DuckDb;
using Convoy.FleetHistory.Tenancy;
using Convoy.Pki;
using Microsoft.Extensions.DependencyInjection;

namespace Convoy.FleetHistory.Tests;

/// <summary>
/// <c>tenants delete</c> end to end: two tenants' data projected through the real programs, their
/// devices' rule state in the alert engine's state topic, their CAs in a trust roots file; then one
/// tenant deleted, and nothing of it left while the other is untouched.
/// </summary>
public sealed class TenantDeletionTests : IAsyncLifetime
{
    private const string StateTopic = "convoy.alert-state";
    private static readonly long Start = DateTimeOffset.UtcNow.AddMinutes(-30).ToUnixTimeMilliseconds();
    private readonly TempFolder _folder = new("tenant-deletion");
    private TestPartner _issuer = null!;
    private TestCollector _collector = null!;

    public async Task InitializeAsync()
    {
        _issuer = new TestPartner(_folder.File("issuer"));
        _collector = await TestCollector.StartAsync(new TestCollectorSetup { Tenants = ["acme", "globex"], AlertTopics = true, Topics = [(StateTopic, 1)] });
    }

    public async Task DisposeAsync()
    {
        await _collector.DisposeAsync();
        _issuer.Dispose();
        _folder.Dispose();
    }

    [Fact]
    public async Task DeletingATenant_LeavesNothingOfItInTheStoreTheStateOrTheTrustRoots_AndTheOtherUntouched()
    {
        string store = _folder.File("store");
        await using (var history = await TestFleetHistory.StartAsync(_collector.Kafka, _issuer, store))
        {
            using var acme = _collector.Device("acme", "truck-1");
            using var globex = _collector.Device("globex", "truck-9");
            await acme.SendAsync(BatchBuilder.For("truck-1").StartingAt(Start).Gps(3, _ => 50f).Temperatures(1, 4f));
            await globex.SendAsync(BatchBuilder.For("truck-9").StartingAt(Start).Gps(2, _ => 30f));
            foreach (string tenant in new[] { "acme", "globex" })
            {
                await Eventually.ReturnsAsync(
                    () => history.Client().GetFleetStateAsync(new GetFleetStateRequest(), TestPartner.Bearer(TestFleetHistory.Token(_issuer, tenant))).ResponseAsync,
                    s => s.Devices.Count == 1, Eventually.DefaultTimeout, $"{tenant}'s truck projected");
            }
        }

        WriteState(("acme", "truck-1"), ("acme", "truck-2"), ("globex", "truck-9"));
        using var platform = CertificateIssuer.CreateCertificateAuthority("Convoy platform CA", TimeSpan.FromDays(30));
        using var acmeCa = CertificateIssuer.CreateCertificateAuthority("ACME devices", TimeSpan.FromDays(30), tenant: "acme");
        using var globexCa = CertificateIssuer.CreateCertificateAuthority("Globex devices", TimeSpan.FromDays(30), tenant: "globex");
        string trustRoots = _folder.File("trust-roots.pem");
        await File.WriteAllTextAsync(trustRoots, platform.ExportCertificatePem() + "\n" + acmeCa.ExportCertificatePem() + "\n" + globexCa.ExportCertificatePem() + "\n");
        var output = new StringWriter();

        int exit = await TenantsCommand.RunAsync(
            ["tenants", "delete", "acme", "--trust-roots", trustRoots, "--state-topic", StateTopic, $"--FleetHistory:DataFolder={store}"],
            output, services => services.AddSingleton(_collector.Kafka));

        string report = output.ToString();
        Assert.True(exit == 0, report);
        Assert.Contains("deleted 3 fix(es)", report, StringComparison.Ordinal);
        Assert.Contains("2 device state(s) deleted", report, StringComparison.Ordinal);
        Assert.Contains("removed the tenant's CA CN=ACME devices", report, StringComparison.Ordinal);
        Assert.Contains("no row of the tenant in the store; no rule state of the tenant", report, StringComparison.Ordinal);
        using (var remaining = new DuckDbFleetStore(store))
        {
            Assert.Equal(["globex"], remaining.Tenants());
            Assert.Empty(remaining.FleetState("acme", [], "", 10));
            Assert.Single(remaining.FleetState("globex", [], "", 10));
        }

        var state = LatestState();
        Assert.Null(state["acme\0truck-1"]);
        Assert.Null(state["acme\0truck-2"]);
        Assert.NotNull(state["globex\0truck-9"]);
        var trusted = new X509Certificate2Collection();
        trusted.ImportFromPemFile(trustRoots);
        Assert.Equal(["CN=Convoy platform CA", "CN=Globex devices"], trusted.Select(c => c.Subject));
    }

    [Theory]
    [InlineData(new[] { "tenants" }, "Usage:")]
    [InlineData(new[] { "tenants", "purge", "acme" }, "Usage:")]
    [InlineData(new[] { "tenants", "delete", "ACME" }, "is not a tenant id")]
    [InlineData(new[] { "tenants", "delete", "acme", "--trust-roots", "/nonexistent/roots.pem" }, "does not exist")]
    public async Task AMistypedCommand_ChangesNothing_AndSaysWhy(string[] args, string says)
    {
        var output = new StringWriter();

        int exit = await TenantsCommand.RunAsync(args, output);

        Assert.Equal(2, exit);
        Assert.Contains(says, output.ToString(), StringComparison.Ordinal);
    }

    private void WriteState(params (string Tenant, string Device)[] devices)
    {
        using var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig { BootstrapServers = _collector.Kafka.BootstrapServers }).Build();
        foreach (var (tenant, device) in devices)
        {
            producer.Produce(StateTopic, new Message<byte[], byte[]> { Key = Encoding.UTF8.GetBytes(tenant + "\0" + device), Value = [1, 2, 3] });
        }

        producer.Flush(TimeSpan.FromSeconds(10));
    }

    /// <summary>The newest value of each key of the state topic (null for a tombstone).</summary>
    private Dictionary<string, byte[]?> LatestState()
    {
        var latest = new Dictionary<string, byte[]?>(StringComparer.Ordinal);
        foreach (var record in KafkaTopics.ReadAll(_collector.Kafka.BootstrapServers, StateTopic))
        {
            latest[record.Message.Key] = record.Message.Value;
        }

        return latest;
    }
}
