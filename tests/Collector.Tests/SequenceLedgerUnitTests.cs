using Confluent.Kafka;
using Convoy.Collector.Ingest;

namespace Convoy.Collector.Tests;

/// <summary>
/// The one decision every call for a device takes before writing a batch. The test plays the
/// producer: it answers the writes the ledger handed out (<see cref="SequenceLedger.OnDelivery"/>).
/// </summary>
public sealed class SequenceLedgerUnitTests
{
    private readonly SequenceLedger _ledger = new();
    private readonly RecordedDeliveries _first = new();
    private readonly RecordedDeliveries _second = new();

    [Fact]
    public void Claim_NewSequence_IsWrittenByTheFirstCallOnly_TheSecondWaitsForThatWrite()
    {
        Assert.Equal(BatchClaim.Write, _ledger.Claim(1, _first, 10));
        Assert.Equal(BatchClaim.InFlight, _ledger.Claim(1, _second, 20));

        _ledger.OnDelivery(1, ErrorCode.NoError);

        Assert.Equal([ErrorCode.NoError], _first.For(10));
        Assert.Equal([ErrorCode.NoError], _second.For(20));
        Assert.Equal(BatchClaim.Written, _ledger.Claim(1, _second, 21));
        Assert.Empty(_second.For(21)); // nothing to wait for: already written
        Assert.Equal(1UL, _ledger.Acked);
    }

    [Fact]
    public void Claim_AfterAFailedWrite_WritesItAgain_AndEveryWaiterHeardOfTheFailure()
    {
        _ledger.Claim(1, _first, 10);
        _ledger.Claim(1, _second, 20);

        _ledger.OnDelivery(1, ErrorCode.Local_MsgTimedOut);

        Assert.Equal([ErrorCode.Local_MsgTimedOut], _first.For(10));
        Assert.Equal([ErrorCode.Local_MsgTimedOut], _second.For(20));
        Assert.Equal(0UL, _ledger.Acked);
        Assert.Equal(BatchClaim.Write, _ledger.Claim(1, _second, 21));
    }

    [Fact]
    public void Acked_StopsBelowAFailedWrite_EvenWhenLaterOnesLanded_UntilItIsWritten()
    {
        for (ulong s = 1; s <= 3; s++)
        {
            _ledger.Claim(s, _first, (long)s);
        }

        _ledger.OnDelivery(1, ErrorCode.NoError);
        _ledger.OnDelivery(2, ErrorCode.Local_MsgTimedOut);
        _ledger.OnDelivery(3, ErrorCode.NoError);
        Assert.Equal(1UL, _ledger.Acked);

        Assert.Equal(BatchClaim.Write, _ledger.Claim(2, _first, 2));
        _ledger.OnDelivery(2, ErrorCode.NoError);

        Assert.Equal(3UL, _ledger.Acked);
    }

    [Fact]
    public void Claim_EarlierSequenceArrivingAfterALaterOneLanded_IsWritten_NotTakenForAReplay()
    {
        // Two uploads of one sender at once: 6 is claimed and written before 5 arrives.
        _ledger.Claim(6, _first, 6);
        _ledger.OnDelivery(6, ErrorCode.NoError);
        Assert.Equal(6UL, _ledger.Acked); // 1..5 were never claimed: taken not to exist

        Assert.Equal(BatchClaim.Write, _ledger.Claim(5, _second, 5));
        Assert.Equal(BatchClaim.Written, _ledger.Claim(6, _second, 6));
    }

    [Fact]
    public void Acked_StopsBelowAWriteInFlight()
    {
        _ledger.Claim(1, _first, 1);
        _ledger.Claim(2, _first, 2);

        _ledger.OnDelivery(2, ErrorCode.NoError);

        Assert.Equal(0UL, _ledger.Acked);
        Assert.True(_ledger.Busy);
        _ledger.OnDelivery(1, ErrorCode.NoError);
        Assert.Equal(2UL, _ledger.Acked);
        Assert.False(_ledger.Busy);
    }

    [Fact]
    public void Abandon_WriteRefusedByTheProducer_TellsTheWaitersButNotTheWriter_AndCanBeClaimedAgain()
    {
        _ledger.Claim(4, _first, 40);
        _ledger.Claim(4, _second, 41);

        _ledger.Abandon(4, ErrorCode.Local_QueueFull);

        Assert.Empty(_first.Told);
        Assert.Equal([ErrorCode.Local_QueueFull], _second.For(41));
        Assert.Equal(BatchClaim.Write, _ledger.Claim(4, _first, 42));
    }

    [Fact]
    public void OnDelivery_AnsweredTwice_TellsOnce()
    {
        _ledger.Claim(1, _first, 1);

        _ledger.OnDelivery(1, ErrorCode.NoError);
        _ledger.OnDelivery(1, ErrorCode.NoError);

        Assert.Single(_first.Told);
    }

    [Fact]
    public void Claim_ManyGaps_ClosesTheLowest_SoADeviceIsRememberedInBoundedSpace()
    {
        // Every other sequence: each written one is a run of its own above a gap.
        int runs = SequenceLedger.MaxConfirmedRuns + 4;
        for (int i = 1; i <= runs; i++)
        {
            ulong sequence = (ulong)(2 * i);
            _ledger.Claim(sequence, _first, (long)sequence);
            _ledger.OnDelivery((long)sequence, ErrorCode.NoError);
        }

        // The lowest gaps were closed: a sequence there is now taken for one already sent...
        Assert.Equal(BatchClaim.Written, _ledger.Claim(1, _second, 1));
        // ...while the recent gaps are still known to be empty.
        Assert.Equal(BatchClaim.Write, _ledger.Claim((ulong)((2 * runs) - 1), _second, 2));
    }

    [Fact]
    public void Peek_SaysWrittenOnlyForWhatKafkaHas_AndClaimsNothing()
    {
        _ledger.Claim(1, _first, 1);
        Assert.Equal(BatchClaim.Write, _ledger.Peek(1)); // in flight is not written
        _ledger.OnDelivery(1, ErrorCode.NoError);

        Assert.Equal(BatchClaim.Written, _ledger.Peek(1));
        Assert.Equal(BatchClaim.Write, _ledger.Peek(2));
        Assert.Equal(BatchClaim.Write, _ledger.Claim(2, _first, 2));
    }
}
