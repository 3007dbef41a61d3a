using Convoy.Collector.Ingest;
using Convoy.Pki;

namespace Convoy.Collector.Tests;

public sealed class ActiveStreamsUnitTests
{
    private static readonly SequenceSpace Truck = new(new DeviceIdentity("acme", "truck-1"), "");

    [Fact]
    public void Replace_FirstStreamOfADevice_ReplacesNothing()
    {
        var streams = new ActiveStreams();

        var claim = streams.Replace(Truck, "10.0.0.1:5000", out var replaced);

        Assert.Null(replaced);
        Assert.False(claim.Replaced.IsCancellationRequested);
        Assert.Equal(1, streams.Count);
    }

    [Fact]
    public void Replace_SecondStreamOfTheDevice_StopsTheFirstAndSaysWhereTheNewOneIsFrom()
    {
        var streams = new ActiveStreams();
        var first = streams.Replace(Truck, "10.0.0.1:5000", out _);

        var second = streams.Replace(Truck, "10.0.0.2:6000", out var replaced);

        Assert.Same(first, replaced);
        Assert.True(first.Replaced.IsCancellationRequested);
        Assert.Equal("10.0.0.2:6000", first.ReplacedBy);
        Assert.False(second.Replaced.IsCancellationRequested);
        Assert.Equal(1, streams.Count);
    }

    [Fact]
    public void Release_OfAReplacedStream_LeavesTheNewOnesSlot_AndTellsItTheOldOneDrained()
    {
        var streams = new ActiveStreams();
        var first = streams.Replace(Truck, "old", out _);
        var second = streams.Replace(Truck, "new", out _);

        streams.Release(Truck, first);

        Assert.True(first.WhenDrained.IsCompletedSuccessfully);
        Assert.Equal(1, streams.Count);
        streams.Replace(Truck, "newest", out var replacedNext);
        Assert.Same(second, replacedNext); // the new stream still held the slot
    }

    [Fact]
    public void Release_OfTheCurrentStream_FreesTheDevicesSlot()
    {
        var streams = new ActiveStreams();
        var claim = streams.Replace(Truck, "peer", out _);

        streams.Release(Truck, claim);

        Assert.Equal(0, streams.Count);
        streams.Replace(Truck, "peer", out var replaced);
        Assert.Null(replaced);
    }

    [Fact]
    public void Replace_OtherDevices_DoNotTouchEachOther()
    {
        var streams = new ActiveStreams();
        var one = streams.Replace(Truck, "a", out _);

        streams.Replace(Truck with { Device = new DeviceIdentity("acme", "truck-2") }, "b", out var replaced);
        streams.Replace(Truck with { Device = new DeviceIdentity("globex", "truck-1") }, "c", out var replacedInOtherTenant);

        Assert.Null(replaced);
        Assert.Null(replacedInOtherTenant);
        Assert.False(one.Replaced.IsCancellationRequested);
        Assert.Equal(3, streams.Count);
    }

    [Fact]
    public void Replace_APartnersStreamForTheDevice_DoesNotReplaceTheDevicesOwn()
    {
        var streams = new ActiveStreams();
        var own = streams.Replace(Truck, "truck", out _);

        streams.Replace(Truck with { Sender = "partner:dispatch-app" }, "partner", out var replaced);

        Assert.Null(replaced);
        Assert.False(own.Replaced.IsCancellationRequested);
        Assert.Equal(2, streams.Count);
    }
}
