using Convoy.Collector.Ingest;
using Grpc.Core;

namespace Convoy.Collector.Tests;

/// <summary>How a device stream ended is decided once, by the first cause, and mapped to its status in one place.</summary>
public sealed class StreamOutcomeUnitTests
{
    [Fact]
    public void Outcome_NothingStoppedTheStream_IsCompleted_AndOk()
    {
        using var stops = new StreamStops();

        var outcome = stops.Outcome(deviceGone: false);

        Assert.Equal(StreamEnd.Completed, outcome.End);
        Assert.False(stops.Stopped);
        Assert.Null(outcome.ToStatus("truck-1", 5, null, null));
    }

    [Fact]
    public void StopOn_TheFirstCauseWins_AndCancelsReading()
    {
        using var stopping = new CancellationTokenSource();
        using var replaced = new CancellationTokenSource();
        using var stops = new StreamStops();
        stops.StopOn(StreamEnd.CollectorStopping, stopping.Token);
        stops.StopOn(StreamEnd.Replaced, replaced.Token);

        replaced.Cancel();
        stopping.Cancel();

        Assert.True(stops.Token.IsCancellationRequested);
        Assert.Equal(StreamEnd.Replaced, stops.Outcome(deviceGone: false).End);
    }

    [Fact]
    public void StopOn_ATokenAlreadyCancelled_StopsAtOnce()
    {
        using var revoked = new CancellationTokenSource();
        revoked.Cancel();
        using var stops = new StreamStops();

        stops.StopOn(StreamEnd.CertificateRevoked, revoked.Token);

        Assert.Equal(StreamEnd.CertificateRevoked, stops.Outcome(deviceGone: false).End);
    }

    [Fact]
    public void Refuse_KeepsTheRefusalsStatusAndRetryDelay_UnlessAnotherCauseCameFirst()
    {
        using var first = new StreamStops();
        first.Refuse(new Status(StatusCode.ResourceExhausted, "over quota"), TimeSpan.FromSeconds(2));
        var refused = first.Outcome(deviceGone: false);

        using var expired = new CancellationTokenSource();
        using var second = new StreamStops();
        second.StopOn(StreamEnd.TokenExpired, expired.Token);
        expired.Cancel();
        second.Refuse(new Status(StatusCode.InvalidArgument, "bad batch"), TimeSpan.Zero);

        Assert.Equal((StreamEnd.Refused, StatusCode.ResourceExhausted, TimeSpan.FromSeconds(2)), (refused.End, refused.ToStatus("truck-1", 0, null, null)!.Value.StatusCode, refused.RetryAfter));
        Assert.Equal(StreamEnd.TokenExpired, second.Outcome(deviceGone: false).End);
    }

    [Fact]
    public void Outcome_DeviceGone_TrumpsEveryOtherCause_AndTellsNobody()
    {
        using var stops = new StreamStops();
        stops.Stop(StreamEnd.KafkaFailed);

        var outcome = stops.Outcome(deviceGone: true);

        Assert.Equal(StreamEnd.DeviceGone, outcome.End);
        Assert.Null(outcome.ToStatus("truck-1", 5, "batch 6: timed out", null));
    }

    public static TheoryData<string, StatusCode, string> Statuses => new()
    {
        { nameof(StreamEnd.KafkaFailed), StatusCode.Unavailable, "Kafka did not confirm batch 8: Local: Message timed out. Everything up to sequence 7 is safe; send the rest again." },
        { nameof(StreamEnd.CertificateRevoked), StatusCode.PermissionDenied, "certificate has been revoked; everything up to sequence 7 is safe. Install a new certificate." },
        { nameof(StreamEnd.CollectorStopping), StatusCode.Unavailable, "shutting down; everything up to sequence 7 is safe. Reconnect (to another collector)" },
        { nameof(StreamEnd.TokenExpired), StatusCode.Unauthenticated, "token expired; everything up to sequence 7 is safe. Reconnect with a fresh token" },
        { nameof(StreamEnd.Replaced), StatusCode.Aborted, "a newer stream of device truck-1 (from 10.0.0.9:4000) replaced this one; everything up to sequence 7 is safe" },
    };

    [Theory]
    [MemberData(nameof(Statuses))]
    public void ToStatus_EachEnd_HasItsStatus_AndSaysHowFarTheBatchesAreSafe(string end, StatusCode code, string detail)
    {
        var status = new StreamOutcome(Enum.Parse<StreamEnd>(end)).ToStatus("truck-1", 7, "batch 8: Local: Message timed out", "10.0.0.9:4000");

        Assert.Equal(code, status!.Value.StatusCode);
        Assert.Contains(detail, status.Value.Detail, StringComparison.Ordinal);
    }
}
