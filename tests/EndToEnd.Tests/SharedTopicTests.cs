using Convoy.AlertEngine;
using Convoy.Collector;
using Convoy.Contracts;
using Convoy.Contracts.Alerts.V1;
using Convoy.Contracts.Telemetry.V1;
using Convoy.Kafka.Embedded;
using Convoy.Pki;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Convoy.EndToEnd.Tests;

/// <summary>The collector's shared-topic mode: every tenant in one topic, tenant in key and header; the engine still alerts per tenant.</summary>
public sealed class SharedTopicTests : IAsyncLifetime
{
    private const string Tenant = "shared-co";
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "convoy-shared-" + Guid.NewGuid().ToString("N"));
    private readonly string _topic = "telemetry-shared-" + Guid.NewGuid().ToString("N")[..8];
    private EmbeddedKafkaCluster _kafka = null!;
    private WebApplication _collector = null!;
    private IHost _engine = null!;
    private DevCertificates _certificates = null!;

    public async Task InitializeAsync()
    {
        _kafka = EmbeddedKafkaCluster.Start();
        _kafka.SetGroupInitialRebalanceDelay(TimeSpan.Zero);
        _kafka.CreateTopic(_topic, partitions: 2);
        _kafka.CreateTopic(TelemetryRecordHeaders.AlertTopic(Tenant), partitions: 1);
        _certificates = DevCertificates.Ensure(_folder);
        _collector = CollectorHost.Build(
        [
            "--Collector:Port=0", "--Collector:MetricsPort=0", "--Collector:DevCertificates=true", $"--Collector:DevCertificatesFolder={_folder}",
            "--Collector:TopicMode=Shared", $"--Collector:SharedTopic={_topic}",
        ], services => services.AddSingleton(_kafka));
        await _collector.StartAsync();
        _engine = AlertEngineHost.Build(["--AlertEngine:GroupId=shared-" + Guid.NewGuid().ToString("N"), $"--AlertEngine:TopicPattern=^{_topic}$"],
            services => services.AddSingleton(_kafka));
        await _engine.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _engine.StopAsync();
        _engine.Dispose();
        await _collector.StopAsync();
        await _collector.DisposeAsync();
        _kafka.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task SharedTopic_KeysByTenantAndDevice_AndAlertsStillGoToTheTenant()
    {
        var (certificate, key) = _certificates.EnsureDevice(new DeviceIdentity(Tenant, "truck-1"));
        using var device = new TestDevice(CollectorHost.Address(_collector), CertificateIssuer.LoadPem(certificate, key),
            CertificateIssuer.LoadPemCertificates(_certificates.AuthorityCertificatePath));

        await device.SendAsync(WarmBatch());

        var record = Assert.Single(KafkaTopics.ReadAll(_kafka.BootstrapServers, _topic));
        Assert.Equal("shared-co/truck-1", record.Message.Key);
        Assert.Equal(Tenant, KafkaTopics.Header(record, TelemetryRecordHeaders.Tenant));
        Alert? alert = null;
        await Eventually.HoldsAsync(() =>
        {
            alert = KafkaTopics.ReadAll(_kafka.BootstrapServers, TelemetryRecordHeaders.AlertTopic(Tenant))
                .Select(r => Alert.Parser.ParseFrom(r.Message.Value)).FirstOrDefault();
            return alert is not null;
        }, TimeSpan.FromSeconds(30), "an alert for the shared topic's tenant");
        Assert.Equal(Tenant, alert!.TenantId);
        Assert.Equal("truck-1", alert.DeviceId);
    }

    /// <summary>Ten minutes at 9 °C in zone 1, ending a minute ago.</summary>
    private static TelemetryBatch WarmBatch()
    {
        var batch = new TelemetryBatch { DeviceId = "truck-1", Sequence = 1, BaseTimeUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 660_000 };
        var zone = new TemperatureColumns { Zone = 1 };
        for (uint minute = 0; minute <= 10; minute++)
        {
            zone.OffsetMs.Add(minute * 60_000);
            zone.TemperatureC.Add(9f);
        }

        batch.Temperatures.Add(zone);
        return batch;
    }
}
