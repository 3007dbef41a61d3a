using Convoy.Collector;
using Convoy.Contracts;
using Convoy.Kafka.Embedded;
using Convoy.Pki;
using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace Convoy.TestKit;

/// <summary>
/// What the end-to-end tests stand on: an embedded Kafka with the tenants' topics, development
/// certificates (or the test's own PKI) in a temporary folder, and a real collector on 127.0.0.1
/// (any free ports) using that Kafka. Disposing stops and deletes all of it, and fails the test
/// when the collector logged an error the test did not expect.
/// </summary>
public sealed class TestCollector : IAsyncDisposable
{
    private readonly DevCertificates? _certificates;
    private readonly string[] _args;
    private readonly Action<IServiceCollection> _services;
    private bool _ownsFolder;

    private TestCollector(EmbeddedKafkaCluster kafka, DevCertificates? certificates, WebApplication app, string folder, string[] args, Action<IServiceCollection> services)
    {
        _args = args;
        _services = services;
        Kafka = kafka;
        _certificates = certificates;
        App = app;
        Folder = folder;
    }

    public EmbeddedKafkaCluster Kafka { get; }

    /// <summary>What the collector logged. Disposing fails the test when it logged an error the test did not declare with <see cref="TestLogs.ExpectErrors"/>.</summary>
    public TestLogs Logs { get; private init; } = new();

    /// <summary>The development certificates the collector trusts; only when the setup asked for them (the default).</summary>
    public DevCertificates Certificates => _certificates ?? throw new InvalidOperationException("This collector was started with its own PKI, not development certificates.");

    public WebApplication App { get; private set; }

    public string Folder { get; }

    public Uri Address => CollectorHost.Address(App);

    /// <summary>Starts Kafka (with <c>telemetry.&lt;tenant&gt;</c> for each tenant) and the collector with the extra switches.</summary>
    public static Task<TestCollector> StartAsync(string[] tenants, params string[] switches) =>
        StartAsync(new TestCollectorSetup { Tenants = tenants, Switches = switches });

    /// <summary>Starts Kafka with the setup's topics and the collector as the setup describes.</summary>
    public static async Task<TestCollector> StartAsync(TestCollectorSetup setup)
    {
        string folder = setup.Folder ?? Path.Combine(Path.GetTempPath(), "convoy-test-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var kafka = EmbeddedKafkaCluster.Start();
        kafka.SetGroupInitialRebalanceDelay(TimeSpan.Zero);
        foreach (string tenant in setup.Tenants)
        {
            kafka.CreateTopic(TelemetryRecordHeaders.TelemetryTopic(tenant), setup.Partitions);
            if (setup.AlertTopics)
            {
                kafka.CreateTopic(TelemetryRecordHeaders.AlertTopic(tenant), setup.Partitions);
            }
        }

        foreach (var (topic, partitions) in setup.Topics)
        {
            kafka.CreateTopic(topic, partitions);
        }

        string[] args = ["--Collector:Port=0", "--Collector:MetricsPort=0", .. setup.Switches];
        DevCertificates? certificates = null;
        if (setup.DevCertificates)
        {
            certificates = DevCertificates.Ensure(folder);
            args = [.. args, "--Collector:DevCertificates=true", $"--Collector:DevCertificatesFolder={folder}"];
        }

        var logs = new TestLogs();
        void Services(IServiceCollection services)
        {
            services.AddSingleton(kafka).AddSingleton(logs.Provider);
            setup.Services?.Invoke(services);
        }

        var app = CollectorHost.Build(args, Services);
        await app.StartAsync();
        return new TestCollector(kafka, certificates, app, folder, args, Services) { Logs = logs, _ownsFolder = setup.Folder is null };
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
        App = CollectorHost.Build(_args, _services);
        await App.StartAsync();
    }

    /// <summary>A device of <paramref name="tenant"/> with a certificate from the development CA.</summary>
    public TestDevice Device(string tenant, string name)
    {
        var (certificate, key) = Certificates.EnsureDevice(new DeviceIdentity(tenant, name));
        return new TestDevice(Address, CertificateIssuer.LoadPem(certificate, key), CertificateIssuer.LoadPemCertificates(Certificates.AuthorityCertificatePath));
    }

    /// <summary>
    /// Watches one of this collector's instruments (its own meter factory, so collectors of other
    /// tests running at the same time do not count). For an up-down counter the sum of the
    /// snapshot is the current value.
    /// </summary>
    public MetricCollector<long> Metric(string instrument) =>
        new(App.Services.GetRequiredService<IMeterFactory>(), "Convoy.Collector", instrument);

    /// <summary>Every record of the tenant's telemetry topic.</summary>
    public List<Confluent.Kafka.ConsumeResult<string, byte[]>> Telemetry(string tenant) =>
        KafkaTopics.ReadAll(Kafka.BootstrapServers, TelemetryRecordHeaders.TelemetryTopic(tenant));

    public async ValueTask DisposeAsync()
    {
        Kafka.SetBrokerUp();
        await App.StopAsync();
        await App.DisposeAsync();
        Kafka.Dispose();
        if (_ownsFolder)
        {
            Directory.Delete(Folder, recursive: true);
        }

        Logs.AssertNoUnexpectedErrors();
        Logs.Dispose();
    }
}
