using Convoy.Contracts.Telemetry.V1;
using Convoy.EdgeAgent.Buffering;

namespace Convoy.EdgeAgent.Tests;

public sealed class BatchBufferUnitTests
{
    [Fact]
    public void Append_StampsSequencesFromOne_AndKeepsTheEncodedBatch()
    {
        var buffer = new BatchBuffer("truck-1", capacity: 10);

        ulong first = buffer.Append(new TelemetryBatch { DeviceId = "truck-1" }, readings: 4);
        ulong second = buffer.Append(new TelemetryBatch { DeviceId = "truck-1" }, readings: 4);

        Assert.Equal((1UL, 2UL), (first, second));
        Assert.True(buffer.TryGetNext(1, out ulong sequence, out byte[] bytes));
        Assert.Equal(2UL, sequence);
        Assert.Equal(2UL, TelemetryBatch.Parser.ParseFrom(bytes).Sequence);
    }

    [Fact]
    public void Acknowledge_ReleasesEverythingUpToTheAck_AndNeverGoesBack()
    {
        var buffer = new BatchBuffer("truck-1", capacity: 10);
        for (int i = 0; i < 5; i++)
        {
            buffer.Append(new TelemetryBatch(), readings: 3);
        }

        var released = buffer.Acknowledge(3);
        var stale = buffer.Acknowledge(2);

        Assert.Equal((3, 9L), released);
        Assert.Equal((0, 0L), stale);
        Assert.Equal(3UL, buffer.Acked);
        Assert.Equal(2, buffer.Count);
        Assert.True(buffer.TryGetNext(buffer.Acked, out ulong next, out _));
        Assert.Equal(4UL, next); // after a reconnect, sending resumes right after the ack
    }

    [Fact]
    public void Append_WhenFull_DropsTheOldestAndCountsIt()
    {
        var buffer = new BatchBuffer("truck-1", capacity: 2);

        for (int i = 0; i < 5; i++)
        {
            buffer.Append(new TelemetryBatch(), readings: 1);
        }

        Assert.Equal(3, buffer.Dropped);
        Assert.Equal(2, buffer.Count);
        Assert.True(buffer.TryGetNext(0, out ulong oldestKept, out _));
        Assert.Equal(4UL, oldestKept);
        Assert.Equal(5UL, buffer.LastSequence);
    }

    [Fact]
    public async Task WaitForChange_CompletesWhenABatchArrives()
    {
        var buffer = new BatchBuffer("truck-1", capacity: 2);

        var waiting = buffer.WaitForChangeAsync(CancellationToken.None).AsTask();
        Assert.False(waiting.IsCompleted);
        buffer.Append(new TelemetryBatch(), readings: 1);

        await waiting.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void DeadLetter_TheOldestKeptBatch_KeepsItWithItsReason_AndTheNextOneIsSentNext()
    {
        var buffer = new BatchBuffer("truck-1", capacity: 10);
        for (int i = 0; i < 3; i++)
        {
            buffer.Append(new TelemetryBatch { DeviceId = "truck-1" }, readings: 2);
        }

        Assert.Throws<InvalidOperationException>(() => buffer.DeadLetter(2, "not the oldest")); // would drop batch 1 unsent
        buffer.DeadLetter(1, "temperature_c[1] is NaN");

        Assert.Equal(1, buffer.DeadLettered);
        var (sequence, bytes, reason) = Assert.Single(buffer.DeadLetters);
        Assert.Equal((1UL, "temperature_c[1] is NaN"), (sequence, reason));
        Assert.Equal(1UL, TelemetryBatch.Parser.ParseFrom(bytes).Sequence);
        Assert.True(buffer.TryGetNext(buffer.Acked, out ulong next, out _));
        Assert.Equal(2UL, next);
        Assert.Equal(2, buffer.Count);
    }
}
