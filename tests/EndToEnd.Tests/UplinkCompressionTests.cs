using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Convoy.Collector;
using Convoy.Contracts;
using Convoy.Contracts.Telemetry.V1;
using Convoy.EdgeAgent;
using Convoy.EdgeAgent.Buffering;
using Convoy.EdgeAgent.Uplink;
using Convoy.Kafka.Embedded;
using Convoy.Pki;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Convoy.EndToEnd.Tests;

/// <summary>The uplink sends its batches gzip-compressed (gRPC per-message compression), and the collector takes them.</summary>
public sealed class UplinkCompressionTests : IDisposable
{
    private const string Tenant = "gzip-co";
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "convoy-gzip-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task Uplink_SendsBatchesGzipCompressed_AndTheCollectorAcceptsThem()
    {
        var encodings = new ConcurrentQueue<string>();
        var certificates = DevCertificates.Ensure(_folder);
        var (certificate, key) = certificates.EnsureDevice(new DeviceIdentity(Tenant, "rig-1"));
        using var kafka = EmbeddedKafkaCluster.Start();
        kafka.CreateTopic(TelemetryRecordHeaders.TelemetryTopic(Tenant), partitions: 1);
        var collector = CollectorHost.Build(
            ["--Collector:Port=0", "--Collector:MetricsPort=0", "--Collector:DevCertificates=true", $"--Collector:DevCertificatesFolder={_folder}"],
            services => services.AddSingleton(kafka).AddSingleton<IStartupFilter>(new RecordEncoding(encodings)));
        await collector.StartAsync();
        try
        {
            var buffer = new BatchBuffer("rig-1", 100);
            for (ulong i = 1; i <= 5; i++)
            {
                buffer.Append(TestDevice.Batch("rig-1", i), 1);
            }

            var address = CollectorHost.Address(collector);
            using var channel = CollectorChannel.Create(address, new DeviceCertificate(certificate, key), CertificateIssuer.LoadPemCertificates(certificates.AuthorityCertificatePath));
            using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
            var uplink = new DeviceUplink(Tenant, buffer, [(address, channel)], new EdgeAgentOptions { DevCertificates = true },
                new EdgeAgentMetrics(services.GetRequiredService<IMeterFactory>()), NullLogger.Instance, TimeProvider.System);
            using var stop = new CancellationTokenSource();
            var running = uplink.RunAsync(stop.Token);
            await Eventually.HoldsAsync(() => buffer.Acked == 5, TimeSpan.FromSeconds(30), "the five batches to be acknowledged");
            await stop.CancelAsync();
            await running;

            Assert.Contains("gzip", encodings);
            Assert.Equal(5, KafkaTopics.ReadAll(kafka.BootstrapServers, TelemetryRecordHeaders.TelemetryTopic(Tenant)).Count);
        }
        finally
        {
            await collector.StopAsync();
            await collector.DisposeAsync();
        }
    }

    /// <summary>Records the grpc-encoding header of every request the collector receives.</summary>
    private sealed class RecordEncoding(ConcurrentQueue<string> encodings) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, nextMiddleware) =>
            {
                encodings.Enqueue(context.Request.Headers["grpc-encoding"].ToString());
                return nextMiddleware(context);
            });
            next(app);
        };
    }
}
