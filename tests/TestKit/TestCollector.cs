using Convoy.Collector;
using Convoy.Contracts;
using Convoy.Kafka.Embedded;
using Convoy.Pki;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Convoy.TestKit;

/// <summary>
/// What most end-to-end tests stand on: an embedded Kafka with the tenants' topics, development
/// certificates in a temporary folder, and a real collector on 127.0.0.1 (any free ports) using
/// that Kafka. Disposing stops and deletes all of it.
/// </summary>
public sealed class TestCollector : IAsyncDisposable
{
    private readonly string[] _args;

    private TestCollector(EmbeddedKafkaCluster kafka, DevCertificates certificates, WebApplication app, string folder, string[] args)
    {
        Kafka = kafka;
        Certificates = certificates;
        App = app;
        Folder = folder;
        _args = args;
    }

    public EmbeddedKafkaCluster Kafka { get; }

    /// <summary>What the collector logged. Disposing fails the test when it logged an error the test did not declare with <see cref="TestLogs.ExpectErrors"/>.</summary>
    public TestLogs Logs { get; private init; } = new();

    public DevCertificates Certificates { get; }

    public WebApplication App { get; private set; }

    public string Folder { get; }

    public Uri Address => CollectorHost.Address(App);

    /// <summary>Starts Kafka (with <c>telemetry.&lt;tenant&gt;</c> for each tenant) and the collector with the extra switches.</summary>
    public static async Task<TestCollector> StartAsync(string[] tenants, params string[] switches)
    {
        string folder = Path.Combine(Path.GetTempPath(), "convoy-test-" + Guid.NewGuid().ToString("N"));
        var kafka = EmbeddedKafkaCluster.Start();
        foreach (string tenant in tenants)
        {
            kafka.CreateTopic(TelemetryRecordHeaders.TelemetryTopic(tenant), partitions: 1);
        }

        var certificates = DevCertificates.Ensure(folder);
        string[] args = ["--Collector:Port=0", "--Collector:MetricsPort=0", "--Collector:DevCertificates=true", $"--Collector:DevCertificatesFolder={folder}", .. switches];
        var logs = new TestLogs();
        var app = CollectorHost.Build(args, services => services.AddSingleton(kafka).AddSingleton(logs.Provider));
        await app.StartAsync();
        return new TestCollector(kafka, certificates, app, folder, args) { Logs = logs };
    }

    /// <summary>
    /// Stops the collector process's host and starts a new one with the same switches, Kafka and
    /// certificates: everything the collector kept in memory is gone. It listens on a new port, so
    /// make devices after the restart.
    /// </summary>
    public async Task RestartAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        App = CollectorHost.Build(_args, services => services.AddSingleton(Kafka).AddSingleton(Logs.Provider));
        await App.StartAsync();
    }

    /// <summary>A device of <paramref name="tenant"/> with a certificate from the development CA.</summary>
    public TestDevice Device(string tenant, string name)
    {
        var (certificate, key) = Certificates.EnsureDevice(new DeviceIdentity(tenant, name));
        return new TestDevice(Address, CertificateIssuer.LoadPem(certificate, key), CertificateIssuer.LoadPemCertificates(Certificates.AuthorityCertificatePath));
    }

    /// <summary>Every record of the tenant's telemetry topic.</summary>
    public List<Confluent.Kafka.ConsumeResult<string, byte[]>> Telemetry(string tenant) =>
        KafkaTopics.ReadAll(Kafka.BootstrapServers, TelemetryRecordHeaders.TelemetryTopic(tenant));

    public async ValueTask DisposeAsync()
    {
        Kafka.SetBrokerUp();
        await App.StopAsync();
        await App.DisposeAsync();
        Kafka.Dispose();
        Directory.Delete(Folder, recursive: true);
        Logs.AssertNoUnexpectedErrors();
        Logs.Dispose();
    }
}
