using System.Diagnostics.Metrics;
using Convoy.Contracts.Telemetry.V1;
using Convoy.EdgeAgent;
using Convoy.EdgeAgent.Buffering;
using Convoy.EdgeAgent.Uplink;
using Convoy.Pki;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Convoy.EndToEnd.Tests;

/// <summary>
/// A batch the collector refuses for good (INVALID_ARGUMENT) leaves the send path: it goes to the
/// dead-letter area on disk with the collector's message, and every batch behind it is sent and
/// acknowledged. Before, the agent resent it for ever and the truck stalled behind it.
/// </summary>
public sealed class RefusedBatchTests : IAsyncLifetime
{
    private const string Tenant = "strict-co";
    private const string Device = "reefer-5";
    private readonly TempFolder _folder = new();
    private TestCollector _collector = null!;

    public async Task InitializeAsync() => _collector = await TestCollector.StartAsync([Tenant]);

    public async Task DisposeAsync()
    {
        await _collector.DisposeAsync();
        _folder.Dispose();
    }

    [Fact]
    public async Task BatchRefusedForGood_GoesToTheDeadLetterArea_AndTheBatchesBehindItAreAcknowledged()
    {
        using var logs = new TestLogs().ExpectErrors("UplinkBatchDeadLettered");
        using var buffer = new DurableBatchLog(Tenant, Device, new DurableBufferOptions { Folder = _folder.Path, FsyncPolicy = FsyncPolicy.EveryBatch });
        buffer.Append(TestDevice.Batch(Device, 0), readings: 3);
        var poisoned = BatchBuilder.For(Device).Temperatures(zone: 1, 3.1f, float.NaN, 3.0f).Build();
        buffer.Append(poisoned, readings: 3);
        buffer.Append(TestDevice.Batch(Device, 0), readings: 3);
        buffer.Append(TestDevice.Batch(Device, 0), readings: 3);

        var (certificate, key) = _collector.Certificates.EnsureDevice(new DeviceIdentity(Tenant, Device));
        using var channel = CollectorChannel.Create(_collector.Address, new DeviceCertificate("test-device", certificate, key, TimeProvider.System, NullLogger.Instance),
            CertificateIssuer.LoadPemCertificates(_collector.Certificates.AuthorityCertificatePath));
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var uplink = new DeviceUplink(Tenant, buffer, [(_collector.Address, channel)],
            new EdgeAgentOptions { DevCertificates = true, ReconnectDelay = TimeSpan.FromMinutes(1), ReconnectMaxDelay = TimeSpan.FromMinutes(1) },
            new EdgeAgentMetrics(services.GetRequiredService<IMeterFactory>()), logs, TimeProvider.System);
        using var stop = new CancellationTokenSource();
        var running = uplink.RunAsync(stop.Token);

        // A reconnect delay of a minute: acknowledged within the wait only if the refusal does not wait for a retry.
        await Eventually.HoldsAsync(() => buffer.Acked == 4 && buffer.Count == 0, "the batches behind the refused one to be acknowledged");
        await stop.CancelAsync();
        await running;

        Assert.Equal([1UL, 3UL, 4UL], _collector.Telemetry(Tenant).Select(KafkaTopics.Sequence));
        Assert.Equal(1, buffer.DeadLettered);
        Assert.Equal(1, logs.Count("UplinkBatchDeadLettered"));
        Assert.Equal(0, logs.Count("UplinkFailed"));
        var (sequence, bytes, reason) = Assert.Single(DurableBatchLog.ReadDeadLetters(buffer.Folder));
        Assert.Equal(2UL, sequence);
        Assert.Contains("NaN", reason, StringComparison.Ordinal);
        var kept = TelemetryBatch.Parser.ParseFrom(bytes);
        Assert.Equal(2UL, kept.Sequence);
        Assert.True(float.IsNaN(kept.Temperatures[0].TemperatureC[1]));

        // The operator's check shows it, with the collector's reason.
        var report = Assert.Single(DurableBatchLog.CheckAll(_folder.Path));
        Assert.Equal((2UL, reason), Assert.Single(report.DeadLetters));
        Assert.Equal(0, report.Unacknowledged);
    }
}
