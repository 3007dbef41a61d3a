using System.Diagnostics;
using Convoy.Contracts;
using Convoy.Contracts.Telemetry.V1;
using Grpc.Core;
using Xunit.Abstractions;

namespace Convoy.EndToEnd.Tests;

/// <summary>
/// The tenant registry and quotas: only registered, enabled tenants send; a tenant flooding at
/// ten times its quota is slowed and then refused with RESOURCE_EXHAUSTED and a retry delay,
/// while another tenant's every batch is acknowledged and lands.
/// </summary>
public sealed class TenantQuotaTests : IAsyncLifetime
{
    private readonly string _tenants = Path.Combine(Path.GetTempPath(), "convoy-tenants-" + Guid.NewGuid().ToString("N") + ".json");
    private readonly ITestOutputHelper _output;
    private TestCollector _collector = null!;

    public TenantQuotaTests(ITestOutputHelper output) => _output = output;

    public async Task InitializeAsync()
    {
        await File.WriteAllTextAsync(_tenants, """
            {
              "Open": false,
              "Tenants": {
                "flood": { "DisplayName": "Flood Freight", "Quota": { "ReadingsPerSecond": 2000, "BurstSeconds": 1, "MaxWait": "00:00:00.5" } },
                "calm": { "DisplayName": "Calm Carriers" },
                "wide": { "DisplayName": "Wide Logistics", "Topic": { "Partitions": 3 } },
                "plain": { "DisplayName": "Plain Transport" },
                "slowpoke": { "DisplayName": "Slowpoke Haulage", "Quota": { "MaxInFlightBytes": 65536, "MaxWait": "00:00:00.5" } },
                "off": { "DisplayName": "Former Customer", "Enabled": false }
              }
            }
            """);
        _collector = await TestCollector.StartAsync(["flood", "calm", "slowpoke", "off", "stranger"], $"--Collector:TenantsFile={_tenants}");
    }

    public async Task DisposeAsync()
    {
        await _collector.DisposeAsync();
        File.Delete(_tenants);
    }

    [Theory]
    [InlineData("stranger", "is not registered")]
    [InlineData("off", "is disabled")]
    public async Task UnregisteredOrDisabledTenant_IsPermissionDenied_AndNothingIsWritten(string tenant, string reason)
    {
        using var device = Device(tenant, "truck-1");

        var error = await Assert.ThrowsAsync<RpcException>(() => device.SendAsync(TestDevice.Batch("truck-1", 1)));

        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
        Assert.Contains(reason, error.Status.Detail, StringComparison.Ordinal);
        Assert.Empty(_collector.Telemetry(tenant));
    }

    [Theory]
    [InlineData("wide", 3)]  // the tenant's own Topic:Partitions
    [InlineData("plain", 4)] // Kafka:TopicPartitions
    public async Task TenantTopic_IsCreatedOnFirstUse_WithTheTenantsPartitions(string tenant, int partitions)
    {
        using var device = Device(tenant, "truck-1");

        var acks = await device.SendAsync(TestDevice.Batch("truck-1", 1));

        Assert.Equal(1UL, acks[^1].AckedSequence);
        using var admin = new Confluent.Kafka.AdminClientBuilder(new Confluent.Kafka.AdminClientConfig { BootstrapServers = _collector.Kafka.BootstrapServers }).Build();
        var topic = Assert.Single(admin.GetMetadata(TelemetryRecordHeaders.TelemetryTopic(tenant), TimeSpan.FromSeconds(10)).Topics);
        Assert.Equal(partitions, topic.Partitions.Count);
    }

    [Fact]
    public async Task FloodAtTenTimesQuota_IsRefusedWithRetryDelay_WhileTheOtherTenantsBatchesAllLand()
    {
        using var calm = Device("calm", "reefer-1");
        using var flood = Device("flood", "loader-1");
        using var calmCall = await calm.OpenAsync();

        // Tenant calm alone (after 5 warm-up batches: connection, JIT, producer).
        await SendOneByOneAsync(calmCall, 1, 5);
        var alone = await SendOneByOneAsync(calmCall, 6, 40);

        // Tenant flood sends 1000-reading batches as fast as its window allows: 20,000 readings
        // in well under a second against a quota of 2,000 per second.
        var flooding = FloodAsync(flood, batches: 20);
        var beside = await SendOneByOneAsync(calmCall, 46, 40);
        var (floodError, floodAcked) = await flooding;
        await calmCall.RequestStream.CompleteAsync();

        Assert.Equal(StatusCode.ResourceExhausted, floodError.StatusCode);
        Assert.Contains("over its quota of 2000 readings/s", floodError.Status.Detail, StringComparison.Ordinal);
        Assert.True(long.Parse(floodError.Trailers.GetValue("grpc-retry-pushback-ms")!, System.Globalization.CultureInfo.InvariantCulture) > 0);
        Assert.InRange(floodAcked, 1UL, 19UL); // the burst got through, the flood did not
        var floodInKafka = _collector.Telemetry("flood").Select(KafkaTopics.Sequence).Order().ToList();
        Assert.Equal(Enumerable.Range(1, (int)floodAcked).Select(i => (ulong)i), floodInKafka); // exactly what was acknowledged
        var calmInKafka = _collector.Telemetry("calm").Select(KafkaTopics.Sequence).Order().ToList();
        Assert.Equal(Enumerable.Range(1, 85).Select(i => (ulong)i), calmInKafka);
        _output.WriteLine($"tenant calm ack latency alone: p50 {Percentile(alone, 50):0.0} ms, p99 {Percentile(alone, 99):0.0} ms; " +
            $"beside the flood: p50 {Percentile(beside, 50):0.0} ms, p99 {Percentile(beside, 99):0.0} ms");
    }

    [Fact]
    public async Task KafkaNotConfirming_TenantsBytesInFlightStayWithinQuota_ThenResourceExhausted_AndOnlyWhatLandedIsAcked()
    {
        using var totals = new MeterTotals();
        using var refused = _collector.Metric("convoy.collector.batches.refused");
        using var device = Device("slowpoke", "reefer-9");
        using var call = await device.OpenAsync();
        await call.RequestStream.WriteAsync(BigBatch("reefer-9", 1, 3000));
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(1UL, call.ResponseStream.Current.AckedSequence);
        int size = BigBatch("reefer-9", 2, 3000).CalculateSize();
        int fit = 65536 / size; // batches of this size the tenant may have on their way to Kafka at once
        Assert.InRange(fit, 2, 8);

        // Kafka stops confirming; the device goes on sending, well within its window of 32.
        _collector.Kafka.SetBrokerDown();
        var sending = Task.Run(async () =>
        {
            try
            {
                for (int sequence = 2; sequence <= fit + 5; sequence++)
                {
                    await call.RequestStream.WriteAsync(BigBatch("reefer-9", (ulong)sequence, 3000));
                }
            }
            catch (RpcException)
            {
                // The collector ended the call: its status is on the response side.
            }
        });
        await Eventually.HoldsAsync(() => totals["convoy.collector.bytes.in_flight", "slowpoke"] == (long)fit * size, TimeSpan.FromSeconds(10),
            $"{fit} batches of {size} bytes in flight to Kafka");
        // The next batch is held back for the tenant's MaxWait, then refused while Kafka is still silent;
        // it never went on its way: what is in flight is still exactly the quota's worth.
        await Eventually.HoldsAsync(() => refused.GetMeasurementSnapshot().Any(m => Equals(m.Tags["reason"], "over-in-flight-quota") && Equals(m.Tags["tenant"], "slowpoke")),
            TimeSpan.FromSeconds(30), "the batch beyond the in-flight quota to be refused");
        Assert.Equal((long)fit * size, totals["convoy.collector.bytes.in_flight", "slowpoke"]);
        Assert.Equal(fit, (int)totals["convoy.collector.batches.in_flight", "slowpoke"]);

        // Kafka comes back: what was written lands and is acknowledged, then the refusal.
        _collector.Kafka.SetBrokerUp();
        ulong acked = 1;
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
                acked = call.ResponseStream.Current.AckedSequence;
            }
        });
        await sending;

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Contains("in-flight quota", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(1, totals.Tagged("convoy.collector.batches.refused", "reason", "over-in-flight-quota", "slowpoke"));
        Assert.True(long.Parse(error.Trailers.GetValue("grpc-retry-pushback-ms")!, System.Globalization.CultureInfo.InvariantCulture) > 0);
        Assert.Equal((ulong)(fit + 1), acked);
        var inKafka = _collector.Telemetry("slowpoke").Select(KafkaTopics.Sequence).Order().ToList();
        Assert.Equal(Enumerable.Range(1, fit + 1).Select(i => (ulong)i), inKafka);
        Assert.Equal(0, totals["convoy.collector.bytes.in_flight", "slowpoke"]);
    }

    /// <summary>Sends batches one at a time on an open stream, timing each until its ack.</summary>
    private static async Task<List<double>> SendOneByOneAsync(AsyncDuplexStreamingCall<TelemetryBatch, IngestAck> call, int first, int count)
    {
        var latencies = new List<double>(count);
        for (int sequence = first; sequence < first + count; sequence++)
        {
            long start = Stopwatch.GetTimestamp();
            await call.RequestStream.WriteAsync(TestDevice.Batch("reefer-1", (ulong)sequence));
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
            Assert.Equal((ulong)sequence, call.ResponseStream.Current.AckedSequence);
            latencies.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }

        return latencies;
    }

    private static async Task<(RpcException Error, ulong Acked)> FloodAsync(TestDevice device, int batches)
    {
        using var call = await device.OpenAsync();
        ulong acked = 0;
        var receiving = Task.Run(async () =>
        {
            try
            {
                while (await call.ResponseStream.MoveNext(CancellationToken.None))
                {
                    acked = call.ResponseStream.Current.AckedSequence;
                }

                return (RpcException?)null;
            }
            catch (RpcException e)
            {
                return e;
            }
        });
        try
        {
            for (int sequence = 1; sequence <= batches; sequence++)
            {
                await call.RequestStream.WriteAsync(BigBatch("loader-1", (ulong)sequence));
            }

            await call.RequestStream.CompleteAsync();
        }
        catch (RpcException)
        {
            // The collector ended the call while we were still writing: its status is on the response side.
        }

        var error = await receiving;
        Assert.NotNull(error);
        return (error, acked);
    }

    private static TelemetryBatch BigBatch(string device, ulong sequence, int readings = 1000) =>
        BatchBuilder.For(device, sequence).Every(TimeSpan.FromMilliseconds(10)).Temperatures(zone: 1, readings, _ => 4f);

    private static double Percentile(List<double> values, double percentile)
    {
        var sorted = values.Order().ToList();
        return sorted[Math.Clamp((int)Math.Ceiling(percentile / 100 * sorted.Count) - 1, 0, sorted.Count - 1)];
    }

    private TestDevice Device(string tenant, string name) => _collector.Device(tenant, name);
}
