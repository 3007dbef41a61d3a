using System.Diagnostics.Metrics;
using Convoy.Contracts;
using Convoy.EdgeAgent;
using Convoy.EdgeAgent.Buffering;
using Convoy.EdgeAgent.Uplink;
using Convoy.Kafka.Embedded;
using Convoy.Pki;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Convoy.EndToEnd.Tests;

/// <summary>
/// The collector process killed (SIGKILL) again and again under a streaming truck, Kafka outliving
/// it, as in a crash loop or a careless rolling restart: every time, the stream that carried acks
/// ends in an error and the truck's next attempt comes after the first reconnect delay, not after
/// one grown over the earlier failures; every batch lands once, in order.
/// </summary>
public sealed class CollectorKilledTests : IDisposable
{
    private const string Tenant = "crashloop-co";
    private const string Device = "rig-9";
    private static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(200);
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task CollectorKilledFourTimes_EachStreamThatCarriedAcks_IsRetriedAfterTheFirstDelay()
    {
        using var kafka = EmbeddedKafkaCluster.Start();
        kafka.CreateTopic(TelemetryRecordHeaders.TelemetryTopic(Tenant), partitions: 1);
        var certificates = DevCertificates.Ensure(_folder.Path);
        var (certificate, key) = certificates.EnsureDevice(new DeviceIdentity(Tenant, Device));
        int port = LoopbackPorts.Free();
        string[] collectorArgs =
        [
            "--environment=Development", $"--Collector:Port={port}", "--Collector:MetricsPort=0",
            "--Collector:DevCertificates=true", $"--Collector:DevCertificatesFolder={_folder.Path}", $"--Kafka:BootstrapServers={kafka.BootstrapServers}",
        ];
        var address = new Uri($"https://127.0.0.1:{port}");
        using var logs = new TestLogs();
        var buffer = new BatchBuffer(Device, capacity: 100);
        using var channel = CollectorChannel.Create(address, new DeviceCertificate("test-device", certificate, key, TimeProvider.System, NullLogger.Instance),
            CertificateIssuer.LoadPemCertificates(certificates.AuthorityCertificatePath));
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var options = new EdgeAgentOptions { DevCertificates = true, ReconnectDelay = FirstDelay, ReconnectMaxDelay = TimeSpan.FromSeconds(2) };
        var uplink = new DeviceUplink(Tenant, buffer, [(address, channel)], options, new EdgeAgentMetrics(services.GetRequiredService<IMeterFactory>()), logs, TimeProvider.System);
        using var stop = new CancellationTokenSource();
        var running = uplink.RunAsync(stop.Token);

        const int Kills = 4;
        for (int round = 1; round <= Kills; round++)
        {
            using var collector = ProgramProcess.Of("Collector", collectorArgs);
            buffer.Append(TestDevice.Batch(Device, 0), readings: 3);
            await Eventually.HoldsAsync(() => buffer.Acked == (ulong)round, TimeSpan.FromSeconds(60),
                $"batch {round} to be acknowledged by collector process {round}:\n{collector.Output}");
            int failuresBefore = UplinkLog.Delays(logs).Count;

            collector.Process.Kill();
            await collector.Process.WaitForExitAsync();

            await Eventually.HoldsAsync(() => UplinkLog.Delays(logs).Count > failuresBefore, $"the uplink to notice kill {round}");
            // The stream that ended had carried an ack: its retry waits the first delay (with jitter), whatever failed before.
            Assert.InRange(UplinkLog.Delays(logs)[failuresBefore], FirstDelay / 2, FirstDelay);
        }

        await stop.CancelAsync();
        await running;
        Assert.Equal([1UL, 2UL, 3UL, 4UL], KafkaTopics.ReadAll(kafka.BootstrapServers, TelemetryRecordHeaders.TelemetryTopic(Tenant)).Select(KafkaTopics.Sequence));
    }
}
