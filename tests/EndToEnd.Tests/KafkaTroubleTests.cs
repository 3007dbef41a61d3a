using Confluent.Kafka;
using Convoy.Contracts.Telemetry.V1;
using Convoy.Kafka.Embedded;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Convoy.EndToEnd.Tests;

/// <summary>
/// The collector never acknowledges what Kafka did not confirm: with the broker down it stops
/// acknowledging and, once the producer gives up, tells the device UNAVAILABLE so it sends
/// again; retriable broker errors are retried without duplicates; a replay of an acknowledged
/// batch is acknowledged again without a second write; shutting down ends streams cleanly.
/// </summary>
public sealed class KafkaTroubleTests : IAsyncLifetime
{
    private const string Tenant = "trouble";
    private TestCollector _collector = null!;

    public async Task InitializeAsync() =>
        // Give up on a write after 4 s instead of 30 s, so the test sees UNAVAILABLE soon.
        _collector = await TestCollector.StartAsync([Tenant], "--Kafka:ProducerProperties:message.timeout.ms=4000");

    public async Task DisposeAsync() => await _collector.DisposeAsync();

    [Fact]
    public async Task BrokerDown_NoAckForTheUnconfirmedBatch_UnavailableThenResentAndLandedOnce()
    {
        using var device = Device("truck-1");
        using var call = await device.OpenAsync();
        await call.RequestStream.WriteAsync(TestDevice.Batch("truck-1", 1));
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(1UL, call.ResponseStream.Current.AckedSequence);

        _collector.Kafka.SetBrokerDown();
        await call.RequestStream.WriteAsync(TestDevice.Batch("truck-1", 2));
        var acksWhileDown = new List<ulong>();
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
                acksWhileDown.Add(call.ResponseStream.Current.AckedSequence);
            }
        });

        Assert.Empty(acksWhileDown); // batch 2 was never confirmed, so never acknowledged
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Contains("up to sequence 1 is safe", error.Status.Detail, StringComparison.Ordinal);

        _collector.Kafka.SetBrokerUp();
        // As the agent does: send again until acknowledged (the producer may need a moment to
        // reconnect, and may say UNAVAILABLE once more meanwhile).
        List<IngestAck>? acks = null;
        for (int attempt = 1; acks is null; attempt++)
        {
            try
            {
                acks = await device.SendAsync(TestDevice.Batch("truck-1", 2));
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable && attempt < 10)
            {
                await Task.Delay(500);
            }
        }

        Assert.Equal(2UL, acks[^1].AckedSequence);
        Assert.Equal([1UL, 2UL], Sequences("truck-1"));
    }

    [Fact]
    public async Task RetriableBrokerErrors_AreRetried_AckedOnceAndWrittenOnce()
    {
        using var device = Device("truck-2");
        await device.SendAsync(TestDevice.Batch("truck-2", 1)); // connections and producer id in place

        _collector.Kafka.PushRequestErrors(KafkaApiKey.Produce, ErrorCode.NotEnoughReplicas, ErrorCode.NotLeaderForPartition, ErrorCode.RequestTimedOut);
        var acks = await device.SendAsync(TestDevice.Batch("truck-2", 2), TestDevice.Batch("truck-2", 3));

        Assert.Equal(3UL, acks[^1].AckedSequence);
        Assert.Equal([1UL, 2UL, 3UL], Sequences("truck-2"));
    }

    [Fact]
    public async Task ReplayOfAcknowledgedBatches_IsAcknowledgedAgain_WithoutASecondWrite()
    {
        using var device = Device("truck-3");
        await device.SendAsync(TestDevice.Batch("truck-3", 1), TestDevice.Batch("truck-3", 2));

        // The device lost the acks (say, the link dropped) and sends both again, then a new one.
        var acks = await device.SendAsync(TestDevice.Batch("truck-3", 1), TestDevice.Batch("truck-3", 2), TestDevice.Batch("truck-3", 3));

        Assert.Contains(acks, a => a.AckedSequence == 2);
        Assert.Equal(3UL, acks[^1].AckedSequence);
        Assert.Equal([1UL, 2UL, 3UL], Sequences("truck-3"));
    }

    [Fact]
    public async Task CollectorShutdown_SendsTheAcksForWhatLanded_ThenTellsTheDeviceToReconnect()
    {
        using var device = Device("truck-4");
        using var call = await device.OpenAsync();
        await call.RequestStream.WriteAsync(TestDevice.Batch("truck-4", 1));
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));

        var stopping = _collector.App.StopAsync();
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
            }
        });
        await stopping.WaitAsync(TimeSpan.FromSeconds(20)); // not held up by the open stream

        Assert.True(error.StatusCode == StatusCode.Unavailable, $"the device must hear UNAVAILABLE, heard {error.Status}");
        Assert.Contains("shutting down", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal([1UL], Sequences("truck-4"));
    }

    private TestDevice Device(string name) => _collector.Device(Tenant, name);

    private List<ulong> Sequences(string device) =>
        _collector.Telemetry(Tenant)
            .Where(r => r.Message.Key == device)
            .Select(KafkaTopics.Sequence)
            .Order()
            .ToList();
}
