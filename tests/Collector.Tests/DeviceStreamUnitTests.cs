using Confluent.Kafka;
using Convoy.Collector.Ingest;
using Convoy.Contracts.Telemetry.V1;
using Convoy.Pki;

namespace Convoy.Collector.Tests;

/// <summary>
/// One device stream's bookkeeping without a network or Kafka: the test plays the producer, whose
/// delivery reports go to the device's ledger (<see cref="SequenceLedger.OnDelivery"/>), which
/// tells the stream, in the order the test wants.
/// </summary>
public sealed class DeviceStreamUnitTests : IDisposable
{
    private static readonly DeviceIdentity Truck = new("acme", "truck-1");
    private readonly TestMeterFactory _meters = new();
    private readonly SequenceLedger _ledger = new();
    private readonly CollectorMetrics _metrics;

    public DeviceStreamUnitTests() => _metrics = new CollectorMetrics(_meters);

    [Fact]
    public async Task Check_NewStream_TakesWhatKafkaHasForReplays_AndAcknowledgesEachAsItArrives()
    {
        WrittenByAnotherCall(1, 2, 3, 4, 5);
        var stream = Stream();

        Assert.Equal(0UL, stream.Acked); // nothing acknowledged before the device sends anything on this stream
        Assert.Equal(SequenceCheck.Replay, stream.Check(3));
        await stream.WaitForWindowAsync(CancellationToken.None);
        stream.Replayed(3);
        Assert.Equal(3UL, stream.Acked);
        Assert.Equal(SequenceCheck.New, stream.Check(6));
    }

    [Fact]
    public async Task Acked_NeverPassesWhatTheStreamReceived_EvenWhenAnotherCallWroteLaterSequences()
    {
        WrittenByAnotherCall(11, 12, 13, 14); // an upload of the device got there first; 6..10 were sent by nobody yet
        var stream = Stream();
        await AcceptAsync(stream, 4, 5);

        _ledger.OnDelivery(4, ErrorCode.NoError);
        _ledger.OnDelivery(5, ErrorCode.NoError);

        Assert.Equal(5UL, stream.Acked); // not 14: the device has yet to send 6..10 on this stream
    }

    [Fact]
    public void Check_SequenceNotAboveTheLastThisStreamSent_GoesBackwards()
    {
        var stream = Stream();
        Assert.Equal(SequenceCheck.New, stream.Check(4));

        Assert.Equal(SequenceCheck.Backwards, stream.Check(4));
        Assert.Equal(SequenceCheck.Backwards, stream.Check(2));
        Assert.Equal(4UL, stream.LastReceived);
    }

    [Fact]
    public async Task OnDelivery_OutOfOrder_AcknowledgesOnlyTheConfirmedPrefix_InAcceptanceOrder()
    {
        var stream = Stream();
        await AcceptAsync(stream, 1, 2, 3);

        _ledger.OnDelivery(3, ErrorCode.NoError);
        Assert.Equal(0UL, stream.Acked);
        _ledger.OnDelivery(1, ErrorCode.NoError);
        Assert.Equal(1UL, stream.Acked);
        _ledger.OnDelivery(2, ErrorCode.NoError);

        Assert.Equal(3UL, stream.Acked);
        Assert.Equal(3UL, _ledger.Acked); // the next stream of the device resumes after it
    }

    [Fact]
    public async Task OnDelivery_Failure_StopsTheAcks_AndCancelsFailed_NamingTheBatch()
    {
        var stream = Stream();
        var failed = new TaskCompletionSource();
        using var registration = stream.Failed.Register(failed.SetResult);
        await AcceptAsync(stream, 1, 2, 3);

        _ledger.OnDelivery(1, ErrorCode.NoError);
        _ledger.OnDelivery(2, ErrorCode.Local_MsgTimedOut);
        _ledger.OnDelivery(3, ErrorCode.NoError);
        await failed.Task.WaitAsync(Eventually.DefaultTimeout);

        Assert.Equal(1UL, stream.Acked);
        Assert.Equal(1UL, _ledger.Acked);
        Assert.StartsWith("batch 2: ", stream.Failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Accept_BatchAnotherCallIsWriting_IsNotWrittenAgain_AndIsAcknowledgedWhenThatWriteLands()
    {
        var other = new RecordedDeliveries();
        Assert.Equal(BatchClaim.Write, _ledger.Claim(2, other, 2)); // an upload of the device carries 2 too
        var stream = Stream();
        await AcceptAsync(stream, 1);
        Assert.Equal(SequenceCheck.New, stream.Check(2));
        await stream.WaitForWindowAsync(CancellationToken.None);

        var claim = stream.Accept(2, readings: 3, bytes: 100, inFlight: null);
        _ledger.OnDelivery(1, ErrorCode.NoError);
        Assert.Equal(1UL, stream.Acked);
        _ledger.OnDelivery(2, ErrorCode.NoError);

        Assert.Equal(BatchClaim.InFlight, claim);
        Assert.Equal(2UL, stream.Acked);
        Assert.Equal([ErrorCode.NoError], other.For(2));
    }

    [Fact]
    public async Task Replayed_IsAcknowledgedInItsTurn_AfterTheWritesAcceptedBeforeIt()
    {
        var stream = Stream();
        await AcceptAsync(stream, 1);
        WrittenByAnotherCall(2);
        Assert.Equal(SequenceCheck.Replay, stream.Check(2));
        await stream.WaitForWindowAsync(CancellationToken.None);

        stream.Replayed(2);
        Assert.Equal(0UL, stream.Acked); // 1 is not in Kafka yet
        _ledger.OnDelivery(1, ErrorCode.NoError);

        Assert.Equal(2UL, stream.Acked);
    }

    [Fact]
    public async Task WaitForWindowAsync_WindowFull_WaitsUntilKafkaAnswersOne()
    {
        var stream = Stream(window: 2);
        await AcceptAsync(stream, 1, 2);

        var third = stream.WaitForWindowAsync(CancellationToken.None);
        Assert.False(third.IsCompleted);
        _ledger.OnDelivery(1, ErrorCode.NoError);

        await third.WaitAsync(Eventually.DefaultTimeout);
    }

    [Fact]
    public async Task Withdraw_BatchTheProducerRefusedLocally_GivesItsSlotBack_IsNeverAcknowledged_AndCanBeWrittenLater()
    {
        var stream = Stream(window: 1);
        await AcceptAsync(stream, 1);

        stream.Withdraw(1, ErrorCode.Local_QueueFull);

        await stream.DrainAsync(CancellationToken.None).WaitAsync(Eventually.DefaultTimeout); // nothing left in flight
        Assert.Equal(0UL, stream.Acked);
        Assert.Equal(0UL, _ledger.Acked);
        Assert.Equal(BatchClaim.Write, _ledger.Claim(1, new RecordedDeliveries(), 1)); // the device's next send writes it
    }

    [Fact]
    public async Task DrainAsync_WaitsForEveryWriteInFlight()
    {
        var stream = Stream();
        await AcceptAsync(stream, 1, 2);

        var drained = stream.DrainAsync(CancellationToken.None);
        _ledger.OnDelivery(1, ErrorCode.NoError);
        Assert.False(drained.IsCompleted);
        _ledger.OnDelivery(2, ErrorCode.NoError);

        await drained.WaitAsync(Eventually.DefaultTimeout);
        Assert.Equal(2UL, stream.Acked);
    }

    [Fact]
    public async Task WriteAcksAsync_SendsEachAcknowledgement_WithTheDeviceAndWindow()
    {
        var stream = Stream(window: 8);
        var responses = new RecordingStreamWriter<IngestAck>();
        var writing = stream.WriteAcksAsync(responses, 8, CancellationToken.None);
        await AcceptAsync(stream, 1, 2);

        _ledger.OnDelivery(1, ErrorCode.NoError);
        _ledger.OnDelivery(2, ErrorCode.NoError);
        await Eventually.HoldsAsync(() => responses.Written.Count > 0 && responses.Written[^1].AckedSequence == 2, "the ack of batch 2");
        stream.CompleteAcks();
        await writing.WaitAsync(Eventually.DefaultTimeout);

        Assert.All(responses.Written, ack => Assert.Equal(("truck-1", 8u), (ack.DeviceId, ack.Window)));
        Assert.Equal(responses.Written.Select(a => a.AckedSequence).Order(), responses.Written.Select(a => a.AckedSequence)); // never backwards
    }

    public void Dispose() => _meters.Dispose();

    private DeviceStream Stream(int window = 32) => new(Truck, window, _ledger, _metrics);

    /// <summary>What the stream's reader does for each new batch before producing it; each must be the stream's to write.</summary>
    private static async Task AcceptAsync(DeviceStream stream, params ulong[] sequences)
    {
        foreach (ulong sequence in sequences)
        {
            Assert.Equal(SequenceCheck.New, stream.Check(sequence));
            await stream.WaitForWindowAsync(CancellationToken.None);
            Assert.Equal(BatchClaim.Write, stream.Accept(sequence, readings: 3, bytes: 100, inFlight: null));
        }
    }

    /// <summary>Another call of the device (an upload, an earlier stream) wrote these, and Kafka has them.</summary>
    private void WrittenByAnotherCall(params ulong[] sequences)
    {
        var other = new RecordedDeliveries();
        foreach (ulong sequence in sequences)
        {
            Assert.Equal(BatchClaim.Write, _ledger.Claim(sequence, other, (long)sequence));
            _ledger.OnDelivery((long)sequence, ErrorCode.NoError);
        }
    }
}
