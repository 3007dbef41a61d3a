using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Convoy.EdgeAgent;
using Convoy.EdgeAgent.Buffering;
using Convoy.EdgeAgent.Uplink;
using Convoy.Pki;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Convoy.EndToEnd.Tests;

/// <summary>The uplink sends its batches gzip-compressed (gRPC per-message compression), and the collector takes them.</summary>
public sealed class UplinkCompressionTests
{
    private const string Tenant = "gzip-co";

    [Fact]
    public async Task Uplink_SendsBatchesGzipCompressed_AndTheCollectorAcceptsThem()
    {
        var encodings = new ConcurrentQueue<string>();
        await using var collector = await TestCollector.StartAsync(new TestCollectorSetup
        {
            Tenants = [Tenant],
            Services = services => services.AddSingleton<IStartupFilter>(new RecordEncoding(encodings)),
        });
        var (certificate, key) = collector.Certificates.EnsureDevice(new DeviceIdentity(Tenant, "rig-1"));
        var buffer = new BatchBuffer("rig-1", 100);
        for (ulong i = 1; i <= 5; i++)
        {
            buffer.Append(TestDevice.Batch("rig-1", i), 1);
        }

        var address = collector.Address;
        using var channel = CollectorChannel.Create(address, new DeviceCertificate("test-device", certificate, key, TimeProvider.System, NullLogger.Instance), CertificateIssuer.LoadPemCertificates(collector.Certificates.AuthorityCertificatePath));
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var uplink = new DeviceUplink(Tenant, buffer, [(address, channel)], new EdgeAgentOptions { DevCertificates = true },
            new EdgeAgentMetrics(services.GetRequiredService<IMeterFactory>()), NullLogger.Instance, TimeProvider.System);
        using var stop = new CancellationTokenSource();
        var running = uplink.RunAsync(stop.Token);
        await Eventually.HoldsAsync(() => buffer.Acked == 5, TimeSpan.FromSeconds(30), "the five batches to be acknowledged");
        await stop.CancelAsync();
        await running;

        Assert.Contains("gzip", encodings);
        Assert.Equal(5, collector.Telemetry(Tenant).Count);
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
