using Convoy.Contracts.Telemetry.V1;
using Grpc.Core;

namespace Convoy.EndToEnd.Tests;

/// <summary>
/// A device has one active stream: a second one (the truck reconnected while its old connection
/// still looked alive) replaces the first, which ends with ABORTED; the new stream starts after
/// every write of the old one was answered, so what the device sends again is not written twice.
/// </summary>
public sealed class OneStreamPerDeviceTests : IAsyncLifetime
{
    private const string Tenant = "relay";
    private TestCollector _collector = null!;

    public async Task InitializeAsync() => _collector = await TestCollector.StartAsync([Tenant]);

    public async Task DisposeAsync() => await _collector.DisposeAsync();

    [Fact]
    public async Task SecondStream_ReplacesTheFirst_WhichEndsAborted_AndEveryBatchLandsOnce()
    {
        using var oldConnection = _collector.Device(Tenant, "truck-1");
        using var newConnection = _collector.Device(Tenant, "truck-1");
        using var first = await oldConnection.OpenAsync();
        for (ulong sequence = 1; sequence <= 3; sequence++)
        {
            await first.RequestStream.WriteAsync(TestDevice.Batch("truck-1", sequence));
            Assert.True(await first.ResponseStream.MoveNext(CancellationToken.None));
            Assert.Equal(sequence, first.ResponseStream.Current.AckedSequence);
        }

        using var second = await newConnection.OpenAsync();
        var replaced = await Assert.ThrowsAsync<RpcException>(() => first.ResponseStream.MoveNext(CancellationToken.None));

        // The device did not see the ack of 3 on its old connection, say: it sends 2..5 again on the new one.
        var acks = new List<ulong>();
        for (ulong sequence = 2; sequence <= 5; sequence++)
        {
            await second.RequestStream.WriteAsync(TestDevice.Batch("truck-1", sequence));
        }

        await second.RequestStream.CompleteAsync();
        while (await second.ResponseStream.MoveNext(CancellationToken.None))
        {
            acks.Add(second.ResponseStream.Current.AckedSequence);
        }

        Assert.Equal(StatusCode.Aborted, replaced.StatusCode);
        Assert.Contains("replaced this one; everything up to sequence 3 is safe", replaced.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(5UL, acks[^1]);
        Assert.Equal([1UL, 2UL, 3UL, 4UL, 5UL], Sequences("truck-1"));
    }

    [Fact]
    public async Task StreamReplacedWhileAWriteIsInFlight_NewStreamWaitsForIt_AndTheResentBatchIsNotWrittenTwice()
    {
        using var oldConnection = _collector.Device(Tenant, "truck-2");
        using var newConnection = _collector.Device(Tenant, "truck-2");
        using var first = await oldConnection.OpenAsync();
        await first.RequestStream.WriteAsync(TestDevice.Batch("truck-2", 1));
        Assert.True(await first.ResponseStream.MoveNext(CancellationToken.None));

        // Batch 2 is on its way to Kafka, which is not answering, when the truck reconnects.
        using var inFlight = _collector.Metric("convoy.collector.batches.in_flight");
        long InFlight() => inFlight.GetMeasurementSnapshot().Sum(m => m.Value);
        _collector.Kafka.SetBrokerDown();
        await first.RequestStream.WriteAsync(TestDevice.Batch("truck-2", 2));
        await Eventually.HoldsAsync(() => InFlight() == 1, TimeSpan.FromSeconds(30), "batch 2 to be written to Kafka and wait for its answer");
        long inFlightWhenOpened = -1;
        var opening = newConnection.OpenAsync().ContinueWith(
            call => { inFlightWhenOpened = InFlight(); return call.Result; }, TaskScheduler.Default);
        await _collector.Logs.WaitForAsync("StreamReplaced", times: 1, TimeSpan.FromSeconds(30));

        // The new stream opens only once Kafka answered the old stream's write, never while it is pending.
        _collector.Kafka.SetBrokerUp();
        using var second = await opening;
        Assert.Equal(0, inFlightWhenOpened);
        var oldAcks = new List<ulong>();
        var replaced = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await first.ResponseStream.MoveNext(CancellationToken.None))
            {
                oldAcks.Add(first.ResponseStream.Current.AckedSequence);
            }
        });
        await second.RequestStream.WriteAsync(TestDevice.Batch("truck-2", 2)); // the device never saw its ack
        Assert.True(await second.ResponseStream.MoveNext(CancellationToken.None));

        Assert.Equal(StatusCode.Aborted, replaced.StatusCode);
        Assert.Equal([2UL], oldAcks);
        Assert.Equal(2UL, second.ResponseStream.Current.AckedSequence);
        Assert.Equal([1UL, 2UL], Sequences("truck-2"));
    }

    [Fact]
    public async Task DeviceResetsItsStream_WhatItWroteLands_AndItsNextStreamCarriesOn()
    {
        using var truck = _collector.Device(Tenant, "truck-3");
        var first = await truck.OpenAsync();
        await first.RequestStream.WriteAsync(TestDevice.Batch("truck-3", 1));
        Assert.True(await first.ResponseStream.MoveNext(CancellationToken.None));
        await first.RequestStream.WriteAsync(TestDevice.Batch("truck-3", 2));
        first.Dispose(); // the truck's end resets the stream (RST_STREAM), as a cancelled call does

        // The truck comes back and sends what it has not seen acknowledged.
        List<IngestAck>? acks = null;
        await Eventually.HoldsAsync(() => Sequences("truck-3").Count >= 1, TimeSpan.FromSeconds(10), "batch 1 in Kafka");
        acks = await truck.SendAsync(TestDevice.Batch("truck-3", 2), TestDevice.Batch("truck-3", 3));

        Assert.Equal(3UL, acks[^1].AckedSequence);
        Assert.Equal([1UL, 2UL, 3UL], Sequences("truck-3"));
    }

    private List<ulong> Sequences(string device) =>
        [.. _collector.Telemetry(Tenant).Where(r => r.Message.Key == device).Select(KafkaTopics.Sequence).Order()];
}
