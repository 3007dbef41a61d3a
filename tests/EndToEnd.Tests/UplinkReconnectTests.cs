using System.Diagnostics.Metrics;
using Convoy.EdgeAgent;
using Convoy.EdgeAgent.Buffering;
using Convoy.EdgeAgent.Uplink;
using Convoy.Pki;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Convoy.EndToEnd.Tests;

/// <summary>
/// A stream that carried acks shows the collector was healthy: however it ends (a collector
/// restart or crash ends it with an error status), the truck comes back after the first reconnect
/// delay, not after one grown over earlier failures. Before this held, trucks took up to 74 s to
/// return after a few rolling restarts.
/// </summary>
public sealed class UplinkReconnectTests : IAsyncLifetime
{
    private const string Tenant = "rolling-co";
    private const string Device = "rig-3";
    private static readonly TimeSpan FirstDelay = TimeSpan.FromSeconds(1);
    private TestCollector _collector = null!;

    public async Task InitializeAsync() => _collector = await TestCollector.StartAsync([Tenant]);

    public async Task DisposeAsync() => await _collector.DisposeAsync();

    [Fact]
    public async Task StreamsThatCarriedAcks_EachEndedByAnError_ReconnectAfterTheFirstDelayEveryTime()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var logs = new TestLogs();
        var buffer = new BatchBuffer(Device, capacity: 100);
        var (certificate, key) = _collector.Certificates.EnsureDevice(new DeviceIdentity(Tenant, Device));
        using var channel = CollectorChannel.Create(_collector.Address, new DeviceCertificate("test-device", certificate, key, TimeProvider.System, NullLogger.Instance),
            CertificateIssuer.LoadPemCertificates(_collector.Certificates.AuthorityCertificatePath));
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var options = new EdgeAgentOptions { DevCertificates = true, ReconnectDelay = FirstDelay, ReconnectMaxDelay = TimeSpan.FromMinutes(1) };
        var uplink = new DeviceUplink(Tenant, buffer, [(_collector.Address, channel)], options,
            new EdgeAgentMetrics(services.GetRequiredService<IMeterFactory>()), logs, time);
        using var stop = new CancellationTokenSource();
        var running = uplink.RunAsync(stop.Token);
        using var sameDevice = _collector.Device(Tenant, Device);

        for (int round = 1; round <= 5; round++)
        {
            buffer.Append(TestDevice.Batch(Device, (ulong)round), readings: 3);
            await Eventually.HoldsAsync(() => buffer.Acked == (ulong)round, $"batch {round} to be acknowledged on the uplink's stream");

            // The collector ends the stream with an error (ABORTED here: a newer stream of the device took over).
            using (await sameDevice.OpenAsync())
            {
                await logs.WaitForAsync("UplinkFailed", times: round, TimeSpan.FromSeconds(30));
            }

            Assert.InRange(UplinkLog.Delays(logs)[^1], FirstDelay / 2, FirstDelay);

            // The clock passes the delay: the uplink connects again.
            await Eventually.HoldsAsync(() =>
            {
                time.Advance(FirstDelay);
                return logs.Count("UplinkConnected") > round;
            }, $"the uplink to reconnect after failure {round}");
        }

        await stop.CancelAsync();
        await running;
        Assert.Equal(5UL, buffer.Acked);
        Assert.Equal([1UL, 2UL, 3UL, 4UL, 5UL], _collector.Telemetry(Tenant).Select(KafkaTopics.Sequence));
    }
}
